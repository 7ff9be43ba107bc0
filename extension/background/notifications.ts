import type { GroupSummary, MessageView } from '../lib/protocol';
import { senderName } from '../ui/names';

/** The part of `browser.notifications` we use. */
export interface NotificationsApi {
  create(
    id: string,
    options: {
      type: 'basic';
      iconUrl: string;
      title: string;
      message: string;
      contextMessage?: string;
      silent?: boolean;
    },
  ): unknown;
  clear(id: string): unknown;
}

export interface NotifyContext {
  /** The signed-in user. */
  me: string;
  /** The group as cached (muted flag, name); unknown groups are not notified about. */
  group: Pick<GroupSummary, 'id' | 'name' | 'kind' | 'muted' | 'unread'> | undefined;
  /** Threads open on screen right now (a tab's overlay said so with `view.focus`). */
  focused: ReadonlySet<string>;
}

/** The rule: a new message from someone else, in a group that is not muted and not on screen. */
export function shouldNotify(message: MessageView, context: NotifyContext): boolean {
  if (!context.group || context.group.muted) return false;
  if (!message.sender || message.sender.id === context.me) return false;
  if (message.deletedAt) return false;
  if (context.focused.has(message.groupId)) return false;
  return true;
}

const MAX_TEXT = 180;

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT - 1)}…` : oneLine;
}

function moment(seconds: number | null): string {
  if (seconds === null) return '';
  const s = Math.floor(seconds);
  return ` at ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Title and text of a message's notification (plain text: notifications render no markup). */
export function describeMessage(
  message: MessageView,
  group: Pick<GroupSummary, 'name' | 'kind' | 'unread'>,
): { title: string; message: string; contextMessage?: string } {
  const sender = senderName(message.sender);
  const direct = group.kind === 'direct';
  let text: string;
  if (message.kind === 'clip' && message.clip) {
    const what = message.clip.title ? `“${clip(message.clip.title)}”` : 'a clip';
    text = message.body ? `${clip(message.body)} — shared ${what}` : `Shared ${what}`;
  } else if (message.kind === 'product') {
    text = message.body ? clip(message.body) : 'Shared a product';
  } else {
    text = `${clip(message.body ?? '')}${moment(message.atSeconds)}`.trim() || 'New message';
  }
  const more = group.unread > 1 ? `${group.unread} unread` : undefined;
  return {
    title: direct ? sender : clip(group.name),
    message: direct ? text : `${sender}: ${text}`,
    ...(more ? { contextMessage: more } : {}),
  };
}

/** The id of a group's notification: a newer message replaces the older one. */
export function notificationId(groupId: string): string {
  return `kith:${groupId}`;
}

/**
 * System notifications for new messages. One per group, replaced by the next message, so a
 * busy group never stacks up a pile of them.
 */
export class Notifier {
  /** Where clicking a group's notification takes the user (the clip it talks about). */
  private readonly targets = new Map<string, string>();

  constructor(
    private readonly api: NotificationsApi | undefined,
    private readonly iconUrl: string,
  ) {}

  async message(message: MessageView, context: NotifyContext): Promise<boolean> {
    if (!this.api || !context.group || !shouldNotify(message, context)) return false;
    const id = notificationId(message.groupId);
    const text = describeMessage(message, context.group);
    if (message.clip?.url) this.targets.set(id, message.clip.url);
    else this.targets.delete(id);
    const options = { type: 'basic' as const, iconUrl: this.iconUrl, ...text };
    try {
      await this.api.create(id, options);
    } catch {
      // Firefox does not know `contextMessage`: the notification without it is still worth it.
      const { contextMessage: _unsupported, ...plain } = options;
      await this.api.create(id, plain);
    }
    return true;
  }

  /** The group's thread is on screen now: its notification is old news. */
  async clear(groupId: string): Promise<void> {
    const id = notificationId(groupId);
    this.targets.delete(id);
    await this.api?.clear(id);
  }

  /** The link to open when a notification is clicked, if it is one of ours with a clip. */
  target(id: string): string | null {
    return this.targets.get(id) ?? null;
  }
}
