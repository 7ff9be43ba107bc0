// @vitest-environment happy-dom
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  GroupSummary,
  MessageView,
  OutboxEntry,
  OutboxItem,
  SessionState,
  SyncEvent,
} from '../../../extension/lib/protocol';
import type { ClipInfo, CurrentClip, SiteAdapter } from '../../../extension/sites/types';
import { activitySentence, type ClipActivityGroup } from '../../../extension/ui/activity-text';
import {
  type ApiMutations,
  type ApiOutputs,
  type KithClient,
  Listeners,
} from '../../../extension/ui/client';
import { features } from '../../../extension/ui/features';
import { formatMoment } from '../../../extension/ui/moment';
import { mountOverlay } from '../../../extension/ui/mount-overlay';
import type { Overlay } from '../../../extension/ui/overlay-state';
import { placeButton, placePanel } from '../../../extension/ui/placement';

const uiDir = path.resolve(import.meta.dirname, '../../../extension/ui');

describe('overlay building blocks', () => {
  it('lists every feature file as a tab, in the files’ names', () => {
    const files = readdirSync(uiDir)
      .filter((f) => f.endsWith('-feature.tsx'))
      .map((f) => f.replace('-feature.tsx', ''))
      .sort();
    expect(features.map((f) => f.id).sort()).toEqual(files);
    expect(features.map((f) => f.label)).toEqual(['Share', 'Chat', 'Friends']);
  });

  it.each([
    [0, '0:00'],
    [42.9, '0:42'],
    [65, '1:05'],
    [725, '12:05'],
    [3729, '1:02:09'],
    [-3, '0:00'],
    [Number.NaN, '0:00'],
  ])('says %s seconds as %s', (seconds, text) => {
    expect(formatMoment(seconds)).toBe(text);
  });

  const person = (id: string, displayName: string) => ({ id, handle: id, displayName });
  const group = (people: ClipActivityGroup['people'], kind = 'group'): ClipActivityGroup => ({
    groupId: 'g',
    kind,
    name: kind === 'direct' ? 'Ana' : 'Roommates',
    messageCount: people.length,
    unread: 0,
    lastAt: new Date().toISOString(),
    people,
  });

  it.each([
    [[person('a', 'Ana')], 'Ana talked about this in Roommates'],
    [[person('a', 'Ana'), person('b', 'Ben')], 'Ana and Ben talked about this in Roommates'],
    [
      [person('a', 'Ana'), person('b', 'Ben'), person('c', 'Cleo')],
      'Ana and 2 others talked about this in Roommates',
    ],
    [[person('me', 'Me')], 'You talked about this in Roommates'],
    [[person('me', 'Me'), person('a', 'Ana')], 'Ana and you talked about this in Roommates'],
  ])('sums up who talked about a clip: %j', (people, sentence) => {
    expect(activitySentence(group(people), 'me')).toBe(sentence);
  });

  it('names a direct chat by the friend in it', () => {
    expect(activitySentence(group([person('a', 'Ana')], 'direct'), 'me')).toBe(
      'Ana talked about this in your chat with Ana',
    );
  });

  const viewport = { width: 1280, height: 800 };

  it('docks the button inside the video, and hides it when the video is off screen', () => {
    const video = { top: 76, left: 519, width: 398, height: 708 };
    const spot = placeButton(video, viewport)!;
    expect(spot.left).toBeGreaterThanOrEqual(video.left);
    expect(spot.left + spot.width).toBeLessThanOrEqual(video.left + video.width);
    expect(spot.top).toBeGreaterThanOrEqual(video.top);
    expect(placeButton({ ...video, top: -900 }, viewport)).toBeNull();
    expect(placeButton({ ...video, top: 900 }, viewport)).toBeNull();
  });

  it('opens the panel beside the video on the roomier side, else beside the button', () => {
    const left = placePanel({ top: 76, left: 519, width: 398, height: 708 }, viewport);
    expect(left.left + left.width).toBeLessThanOrEqual(519);
    const right = placePanel({ top: 76, left: 200, width: 398, height: 708 }, viewport);
    expect(right.left).toBeGreaterThanOrEqual(598);
    // Fullscreen: no room beside the video; the panel must not cover the Kith button.
    const full = placePanel({ top: 0, left: 0, width: 1280, height: 800 }, viewport);
    const button = placeButton({ top: 0, left: 0, width: 1280, height: 800 }, viewport)!;
    expect(full.left + full.width).toBeLessThanOrEqual(button.left);
    expect(full.top).toBeGreaterThanOrEqual(0);
    expect(full.top + full.height).toBeLessThanOrEqual(viewport.height);
  });
});

// ---------------------------------------------------------------------------------------------

const ME = { id: 'u-me', handle: 'me', displayName: 'Mia' };
const BEN = { id: 'u-ben', handle: 'ben', displayName: 'Ben' };

function clipInfo(id: string, title: string): ClipInfo {
  return {
    site: 'tiktok',
    clipId: id,
    url: `https://www.tiktok.com/@scout2015/video/${id}`,
    title,
    thumbnailUrl: null,
  };
}

function message(
  over: Partial<MessageView> & { body: string | null; clip: ClipInfo; seq: number },
): MessageView {
  return {
    id: `m-${over.seq}-${Math.random()}`,
    groupId: 'g-room',
    clientId: `c-${over.seq}`,
    kind: 'text',
    sender: BEN,
    atSeconds: null,
    productId: null,
    replyTo: null,
    createdAt: new Date().toISOString(),
    editedAt: null,
    deletedAt: null,
    reactions: [],
    ...over,
    clip: {
      site: over.clip.site,
      clipId: over.clip.clipId,
      url: over.clip.url,
      title: null,
      thumbnailUrl: null,
    },
  } as MessageView;
}

/** A background stand-in: answers the UI's questions from memory and records what it asked. */
class FakeClient implements KithClient {
  sessionState: SessionState = {
    serverUrl: 'http://kith.test',
    user: ME,
    connection: 'online',
    pending: 0,
  };
  groups: GroupSummary[] = [
    { id: 'g-room', kind: 'group', name: 'Roommates', memberCount: 3 } as GroupSummary,
    { id: 'g-fam', kind: 'group', name: 'Family', memberCount: 5 } as GroupSummary,
  ];
  threads = new Map<string, MessageView[]>();
  activityFor = new Map<string, ApiOutputs['clips.activity']>();
  queries: { path: string; input: unknown }[] = [];
  sent: unknown[] = [];
  shared: unknown[] = [];
  focused: (string | null)[] = [];
  private events = new Listeners<SyncEvent>();
  private sessions = new Listeners<SessionState>();
  private outboxes = new Listeners<OutboxEntry[]>();

  async session() {
    return this.sessionState;
  }
  async query<P extends keyof ApiOutputs>(p: P, input?: unknown): Promise<ApiOutputs[P]> {
    this.queries.push({ path: p, input });
    const i = input as { url: string; groupId: string };
    if (p === 'groups.list') return this.groups as ApiOutputs[P];
    if (p === 'friends.list') return this.friendList as ApiOutputs[P];
    if (p === 'shop.forClip') return { products: this.tagged } as never;
    if (p === 'shop.forClipPrefix') {
      // Like the server: every tagged clip under the prefix, each product with its clip's hash.
      const prefix = (input as { prefix: string }).prefix;
      const products = this.taggedClips
        .map((id) => sha256(`tiktok:${id}`))
        .filter((hash) => hash.startsWith(prefix))
        .flatMap((clipHash) => this.tagged.map((t) => ({ ...t, clipHash })));
      return { prefix, truncated: false, products } as never;
    }
    if (p === 'clips.thread')
      return { clip: i.url, messages: this.threads.get(`${i.groupId}|${i.url}`) ?? [] } as never;
    return (this.activityFor.get(i.url) ?? { clip: i.url, groups: [], friends: [] }) as never;
  }
  /** Products tagged in each of `taggedClips` (the shop strip). */
  tagged: ApiOutputs['shop.forClip']['products'] = [];
  taggedClips = ['7301234567890123451', '7301234567890123452', '7301234567890123453'];
  /** What the local clip index holds, by clip url; and the clips it was asked about. */
  localFor = new Map<string, ApiOutputs['clips.activity']>();
  localAsked: string[] = [];
  async localActivity(clip: { site: string; clipId: string; url: string }) {
    this.localAsked.push(clip.clipId);
    return (this.localFor.get(clip.url) ?? {
      clip,
      groups: [],
      friends: [],
    }) as ApiOutputs['clips.activity'];
  }
  async hash(text: string) {
    return sha256(text);
  }
  /** The next sends the server refuses, with these errors (the background drops them). */
  refusals: Error[] = [];
  async send(data: unknown) {
    this.sent.push(data);
    const refusal = this.refusals.shift();
    if (refusal) {
      await tick();
      throw refusal;
    }
    const draft = data as Omit<Extract<OutboxItem, { kind: 'message' }>, 'kind' | 'clientId'> & {
      clientId?: string;
    };
    const clientId = draft.clientId ?? `client-${this.sent.length}`;
    // Like the background: the new outbox entry is announced before the send call returns.
    this.changeOutbox([
      ...this.outboxEntries,
      {
        clientId,
        item: { ...draft, kind: 'message', clientId },
        status: 'pending',
        error: null,
        attempts: 0,
        createdAt: new Date().toISOString(),
      },
    ]);
    await tick();
    return { clientId, queued: this.sessionState.connection !== 'online' };
  }
  async share(data: unknown) {
    this.shared.push(data);
    return { clientId: `share-${this.shared.length}`, queued: false };
  }
  async focus(groupId: string | null) {
    this.focused.push(groupId);
  }
  /** Mutations the UI ran (read positions, direct threads opened), in order. */
  mutations: { path: string; input: unknown }[] = [];
  directs = new Map<string, GroupSummary>();
  async mutate<P extends keyof ApiMutations>(p: P, input: unknown): Promise<ApiMutations[P]> {
    this.mutations.push({ path: p, input });
    if (p === 'groups.openDirect') {
      const userId = (input as { userId: string }).userId;
      const made = this.directs.get(userId);
      if (!made) throw new Error('Not your friend.');
      if (!this.groups.some((g) => g.id === made.id)) this.groups = [...this.groups, made];
      return { id: made.id, kind: 'direct', name: made.name } as never;
    }
    const { groupId, seq } = input as { groupId: string; seq: number };
    return { groupId, lastReadSeq: seq } as never;
  }
  lastShared = new Map<string, string[]>();
  async lastShare(userId: string) {
    return this.lastShared.get(userId) ?? [];
  }
  async rememberShare(userId: string, keys: string[]) {
    this.lastShared.set(userId, keys);
  }
  friendList: ApiOutputs['friends.list'] = [];
  /** What the tab was opened for (a popup clip card), answered once. */
  openedFor: Awaited<ReturnType<KithClient['opening']>> = null;
  async opening() {
    const found = this.openedFor;
    this.openedFor = null;
    return found;
  }
  async presence() {}
  outboxEntries: OutboxEntry[] = [];
  async outbox() {
    return this.outboxEntries;
  }
  async retry() {}
  async discard() {}
  onSyncEvent(listener: (event: SyncEvent) => void, signal: AbortSignal) {
    this.events.add(listener, signal);
  }
  onSessionChanged(listener: (s: SessionState) => void, signal: AbortSignal) {
    this.sessions.add(listener, signal);
  }
  onOutboxChanged(listener: (e: OutboxEntry[]) => void, signal: AbortSignal) {
    this.outboxes.add(listener, signal);
  }
  readonly opens = new Listeners<void>();
  onOpenRequested(listener: () => void, signal: AbortSignal) {
    this.opens.add(listener, signal);
  }
  emit(m: MessageView) {
    this.events.emit({
      id: m.seq,
      type: 'message.created',
      groupId: m.groupId,
      userId: null,
      payload: m,
      createdAt: m.createdAt,
    } as SyncEvent);
  }
  changeOutbox(entries: OutboxEntry[]) {
    this.outboxEntries = entries;
    this.outboxes.emit(entries);
  }
  changeSession(state: SessionState) {
    this.sessionState = state;
    this.sessions.emit(state);
  }
}

/** A page with a player, and an adapter that reports whichever clip the test says is on screen. */
function fakeSite() {
  const player = document.createElement('div');
  const video = document.createElement('video');
  player.append(video);
  document.body.append(player);
  player.getBoundingClientRect = () =>
    ({
      top: 50,
      left: 100,
      width: 360,
      height: 640,
      right: 460,
      bottom: 690,
      x: 100,
      y: 50,
    }) as DOMRect;
  let onChange = () => {};
  const state: { clip: ClipInfo | null } = {
    clip: clipInfo('7301234567890123451', 'Scout skates'),
  };
  const adapter: SiteAdapter = {
    name: 'tiktok',
    matches: () => true,
    current: (): CurrentClip | null =>
      state.clip ? { clip: state.clip, video, anchor: player } : null,
    watch: (_doc, callback) => {
      onChange = callback;
    },
  };
  return {
    adapter,
    video,
    player,
    show(clip: ClipInfo | null) {
      state.clip = clip;
      onChange();
    },
  };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function until<T>(probe: () => T | null | undefined | false, ms = 2000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out; page: ${document.body.innerHTML.slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function byText(selector: string, text: string | RegExp): HTMLElement | null {
  return (
    [...document.querySelectorAll<HTMLElement>(selector)].find((el) =>
      typeof text === 'string' ? el.textContent?.trim() === text : text.test(el.textContent ?? ''),
    ) ?? null
  );
}

describe('the overlay with a fake background', () => {
  let client: FakeClient;
  let site: ReturnType<typeof fakeSite>;
  let container: HTMLElement;
  let control: AbortController;
  let overlay: Overlay;

  beforeEach(() => {
    document.body.innerHTML = '';
    client = new FakeClient();
    site = fakeSite();
    container = document.createElement('div');
    document.body.append(container);
    control = new AbortController();
  });

  afterEach(() => control.abort());

  const mount = (graceMs = 4000) => {
    overlay = mountOverlay(
      container,
      { client, adapterFor: () => site.adapter, track: { graceMs, pollMs: 20 } },
      control.signal,
    );
  };

  const openTab = async (name: string) => {
    (await until(() => container.querySelector<HTMLButtonElement>('.kith-dock'))).click();
    (await until(() => byText('[role="tab"]', name)))!.click();
    await tick();
  };

  const activityWith = (unread: number, messageCount = 3): ApiOutputs['clips.activity'] =>
    ({
      clip: { site: 'tiktok', clipId: '7301234567890123451', url: '' },
      groups: [
        {
          groupId: 'g-fam',
          kind: 'group',
          name: 'Family',
          messageCount,
          unread,
          lastAt: new Date().toISOString(),
          people: [BEN, ME],
        },
      ],
      friends: [BEN],
    }) as ApiOutputs['clips.activity'];

  it("the dock counts others' unread messages about the clip, not every message", async () => {
    client.localFor.set(clipInfo('7301234567890123451', 'Scout skates').url, activityWith(2, 5));
    mount();
    const dock = await until(() =>
      container.querySelector('.kith-dock[aria-label="Kith: 2 unread messages about this clip"]'),
    );
    expect(dock.querySelector('.kith-count')?.textContent).toBe('2');
  });

  it('opening on a clip with unread messages lands on Chat in their group, and reading marks them read', async () => {
    const url = clipInfo('7301234567890123451', 'Scout skates').url;
    client.localFor.set(url, activityWith(1));
    client.activityFor.set(url, activityWith(1));
    client.threads.set(`g-fam|${url}`, [
      message({
        id: 'm-1',
        groupId: 'g-fam',
        seq: 7,
        body: 'look at this',
        clip: clipInfo('7301234567890123451', 'Scout skates'),
      }),
    ]);
    mount();
    (await until(() => container.querySelector<HTMLButtonElement>('.kith-dock .kith-count')))
      .closest('button')!
      .click();
    await until(() => byText('[role="tab"][aria-selected="true"]', 'Chat'));
    expect(overlay.chatGroupId.value).toBe('g-fam');
    await until(() => byText('.kith-msg-body', 'look at this'));
    await until(() => client.mutations.find((m) => m.path === 'messages.markRead'));
    expect(client.mutations).toEqual([
      { path: 'messages.markRead', input: { groupId: 'g-fam', seq: 7 } },
    ]);
  });

  it('opening on a clip with nothing unread lands on Share', async () => {
    client.localFor.set(clipInfo('7301234567890123451', 'Scout skates').url, activityWith(0));
    mount();
    (await until(() => container.querySelector<HTMLButtonElement>('.kith-dock'))).click();
    await until(() => byText('[role="tab"][aria-selected="true"]', 'Share'));
  });

  it('shares to a friend with no direct thread by opening one, and preselects it next time', async () => {
    client.friendList = [
      { ...BEN, since: new Date().toISOString() },
      { id: 'u-cy', handle: 'cy', displayName: 'Cyrus', since: new Date().toISOString() },
    ] as ApiOutputs['friends.list'];
    client.directs.set('u-cy', {
      id: 'g-cy',
      kind: 'direct',
      name: 'Cyrus',
      memberCount: 2,
      peer: { id: 'u-cy', handle: 'cy', displayName: 'Cyrus' },
    } as GroupSummary);
    mount();
    await openTab('Share');
    // Friends are under the search box; the search narrows them down.
    const search = await until(() =>
      container.querySelector<HTMLInputElement>('.kith-search input'),
    );
    await until(() => byText('.kith-rest label.kith-group', /Cyrus/));
    search.value = 'cy';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    await tick();
    expect(
      [...container.querySelectorAll('.kith-rest label.kith-group')].map((l) => l.textContent),
    ).toEqual(['CCyrus@cy']);
    byText('.kith-rest label.kith-group', /Cyrus/)!.querySelector('input')!.click();
    await tick();
    container.querySelector<HTMLFormElement>('form.kith-share')!.requestSubmit();
    const status = await until(() => container.querySelector('[role="status"]'));
    expect(status.textContent).toContain('Shared to Cyrus.');
    expect(client.mutations).toEqual([{ path: 'groups.openDirect', input: { userId: 'u-cy' } }]);
    expect(client.shared).toEqual([
      { groupIds: ['g-cy'], clip: clipInfo('7301234567890123451', 'Scout skates') },
    ]);
    expect(client.lastShared.get(ME.id)).toEqual(['g:g-cy']);

    // The next clip: Cyrus's thread leads the recent row, chosen already.
    site.show(clipInfo('7301234567890123452', 'Another'));
    const first = await until(() =>
      byText('.kith-recent label.kith-group', /Cyrus/)?.querySelector('input')?.checked
        ? byText('.kith-recent label.kith-group', /Cyrus/)
        : null,
    );
    expect(container.querySelector('.kith-recent label.kith-group')).toBe(first);
  });

  it('shares the clip to the chosen groups with a note and says where it went', async () => {
    mount();
    await openTab('Share');
    (await until(() => byText('label.kith-group', /Family/)))!.querySelector('input')!.click();
    await tick();
    const note = container.querySelector('textarea')!;
    note.value = 'you need to see this';
    note.dispatchEvent(new Event('input', { bubbles: true }));
    await tick();
    container.querySelector<HTMLFormElement>('form.kith-share')!.requestSubmit();
    const status = await until(() => container.querySelector('[role="status"]'));
    expect(status.textContent).toContain('Shared to Family.');
    expect(client.shared).toEqual([
      {
        groupIds: ['g-fam'],
        clip: clipInfo('7301234567890123451', 'Scout skates'),
        note: 'you need to see this',
      },
    ]);
  });

  it("answers the page's share buttons and shares the link one hands over, not the video", async () => {
    const heard: unknown[] = [];
    const listen = (e: MessageEvent) => {
      if ((e.data as { kith?: { type?: string } })?.kith?.type === 'extension') heard.push(e.data);
    };
    window.addEventListener('message', listen);
    try {
      const fromPage = (kith: unknown, origin = location.origin, source: unknown = window) =>
        window.dispatchEvent(
          new MessageEvent('message', { data: { kith }, origin, source: source as Window }),
        );
      mount();
      // It says it is here when it starts, and again to a button that says hello later.
      await until(() => heard.length >= 1);
      fromPage({ type: 'hello', v: 1 });
      await until(() => heard.length >= 2);
      expect(heard.at(-1)).toEqual({ kith: { type: 'extension', v: 1 } });

      // Messages from another origin or another window, or not http(s), change nothing.
      const link = 'https://shop.example/p/red-sneakers?utm_source=ig#reviews';
      fromPage({ type: 'share', v: 1, url: link, title: 'x' }, 'https://evil.example');
      fromPage({ type: 'share', v: 1, url: link, title: 'x' }, location.origin, null);
      fromPage({ type: 'share', v: 1, url: 'javascript:alert(1)', title: 'x' });
      await tick();
      expect(overlay.open.peek()).toBe(false);

      fromPage({ type: 'share', v: 1, url: link, title: '  Red sneakers  ' });
      const title = await until(() => byText('.kith-share-link-title', 'Red sneakers'));
      expect(title.getAttribute('dir')).toBe('auto');
      // A link has no moment in a video.
      expect(container.querySelector('.kith-share .kith-chip')).toBeNull();
      (await until(() => byText('label.kith-group', /Roommates/)))!.querySelector('input')!.click();
      await tick();
      container.querySelector<HTMLFormElement>('form.kith-share')!.requestSubmit();
      await until(() => container.querySelector('[role="status"]'));
      expect(client.shared).toEqual([
        {
          groupIds: ['g-room'],
          clip: {
            site: 'web',
            url: 'https://shop.example/p/red-sneakers',
            clipId: 'https://shop.example/p/red-sneakers',
            title: 'Red sneakers',
            thumbnailUrl: null,
          },
        },
      ]);

      // Closing the panel lets go of the link: Share is about the video again.
      overlay.open.value = false;
      await tick();
      expect(overlay.shareTarget.peek()).toBeNull();
    } finally {
      window.removeEventListener('message', listen);
    }
  });

  it('the keyboard shortcut opens the panel on the clip on screen, at the tab last used', async () => {
    mount();
    await until(() => container.querySelector('.kith-dock'));
    expect(container.querySelector('.kith-panel')).toBeNull();
    client.opens.emit();
    await until(() => container.querySelector('.kith-panel'));
    expect(overlay.open.peek()).toBe(true);
    expect(overlay.shareTarget.peek()).toBeNull();
    expect(byText('[role="tab"][aria-selected="true"]', 'Share')).not.toBeNull();

    // Closed on Chat, the shortcut opens Chat again.
    (await until(() => byText('[role="tab"]', 'Chat')))!.click();
    overlay.open.value = false;
    await tick();
    client.opens.emit();
    await until(() => container.querySelector('.kith-panel'));
    expect(byText('[role="tab"][aria-selected="true"]', 'Chat')).not.toBeNull();
  });

  it('shows the thread as text, live, and sends at the current moment', async () => {
    const clip = clipInfo('7301234567890123451', 'Scout skates');
    client.threads.set(`g-room|${clip.url}`, [
      message({ seq: 1, clip, body: '<b>not bold</b><img src=x onerror=alert(1)>', atSeconds: 7 }),
    ]);
    mount();
    await openTab('Chat');
    const first = await until(() => byText('.kith-msg-body', /not bold/));
    expect(first.textContent).toBe('<b>not bold</b><img src=x onerror=alert(1)>');
    expect(container.querySelector('.kith-thread b, .kith-thread img')).toBeNull();
    expect(client.focused.at(-1)).toBe('g-room');

    // A live message about this clip appears; one about another clip does not.
    client.emit(message({ seq: 2, clip, body: 'live one' }));
    client.emit(message({ seq: 3, clip: clipInfo('7301234567890123452', 'x'), body: 'elsewhere' }));
    await until(() => byText('.kith-msg-body', 'live one'));
    expect(byText('.kith-msg-body', 'elsewhere')).toBeNull();

    // Send at 0:12 (the video's time, rounded down).
    site.video.currentTime = 12.7;
    site.video.dispatchEvent(new Event('timeupdate'));
    const box = container.querySelector<HTMLTextAreaElement>('.kith-composer textarea')!;
    box.value = 'at the jump';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    await tick();
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await until(() => byText('.kith-msg-body', 'at the jump'));
    expect(client.sent).toEqual([
      { clientId: expect.any(String), groupId: 'g-room', body: 'at the jump', clip, atSeconds: 12 },
    ]);
    const { clientId } = client.sent[0] as { clientId: string };
    expect(byText('.kith-msg-state', /Sending/)).not.toBeNull();
    // The outbox entry the background announced and our own pending line are one line.
    await tick();
    expect(
      [...container.querySelectorAll('.kith-msg-body')].filter(
        (el) => el.textContent === 'at the jump',
      ),
    ).toHaveLength(1);
    // The server's copy replaces ours: one line, no longer pending.
    client.emit(
      message({
        seq: 4,
        clip,
        body: 'at the jump',
        sender: ME,
        clientId,
        atSeconds: 12,
      }),
    );
    await until(() => !byText('.kith-msg-state', /Sending/));
    expect([...container.querySelectorAll('.kith-msg-body')].map((el) => el.textContent)).toEqual([
      '<b>not bold</b><img src=x onerror=alert(1)>',
      'live one',
      'at the jump',
    ]);

    // Clicking a moment seeks the video there.
    byText('.kith-moment', '0:07')!.click();
    expect(site.video.currentTime).toBe(7);
  });

  it('marks a message sent offline as waiting for the connection', async () => {
    client.sessionState = { ...client.sessionState, connection: 'offline' };
    mount();
    await openTab('Chat');
    await until(() => byText('.kith-empty', /No one has said anything/));
    expect(byText('.kith-badge', 'Offline')).not.toBeNull();
    const box = container.querySelector<HTMLTextAreaElement>('.kith-composer textarea')!;
    box.value = 'later';
    box.dispatchEvent(new Event('input', { bubbles: true }));
    await tick();
    container.querySelector<HTMLFormElement>('form.kith-composer')!.requestSubmit();
    await until(() => byText('.kith-msg-state', /Offline — sends when you're back/));
  });

  it('shows what still waits in the outbox from before the page loaded, once, until it is sent', async () => {
    const clip = clipInfo('7301234567890123451', 'Scout skates');
    const waiting: OutboxEntry = {
      clientId: 'queued-earlier',
      item: {
        kind: 'message',
        clientId: 'queued-earlier',
        groupId: 'g-room',
        body: 'typed in the tunnel',
        clip,
      },
      status: 'pending',
      error: null,
      attempts: 1,
      createdAt: new Date().toISOString(),
    };
    const elsewhere: OutboxEntry = {
      ...waiting,
      clientId: 'other-clip',
      item: {
        kind: 'message',
        groupId: 'g-room',
        clientId: 'other-clip',
        body: 'about another clip',
        clip: clipInfo('7301234567890123459', 'x'),
      },
    };
    client.outboxEntries = [waiting, elsewhere];
    client.sessionState = { ...client.sessionState, connection: 'offline' };
    mount();
    await openTab('Chat');
    await until(() => byText('.kith-msg-body', 'typed in the tunnel'));
    expect(byText('.kith-msg-body', 'about another clip')).toBeNull();
    expect(byText('.kith-msg-state', /Offline — sends when you're back/)).not.toBeNull();

    // Back online: the outbox sends it and the server's copy arrives; one line, no longer pending.
    client.changeSession({ ...client.sessionState, connection: 'online' });
    client.changeOutbox([elsewhere]);
    client.emit(
      message({
        seq: 9,
        clip,
        body: 'typed in the tunnel',
        sender: ME,
        clientId: 'queued-earlier',
      }),
    );
    await until(() => !container.querySelector('.kith-msg-state'));
    expect([...container.querySelectorAll('.kith-msg-body')].map((el) => el.textContent)).toEqual([
      'typed in the tunnel',
    ]);
  });

  it('follows the clip on screen: title, thread and activity', async () => {
    mount();
    await openTab('Chat');
    await until(() => byText('.kith-clip-title', 'Scout skates'));
    site.show(clipInfo('7301234567890123452', 'Ramen'));
    await until(() => byText('.kith-clip-title', 'Ramen'));
    await until(() =>
      client.queries.some(
        (q) => q.path === 'clips.thread' && (q.input as { url: string }).url.endsWith('452'),
      ),
    );
    expect(
      client.queries.some(
        (q) => q.path === 'clips.activity' && (q.input as { url: string }).url.endsWith('452'),
      ),
    ).toBe(true);
  });

  it('asks to sign in when nobody is', async () => {
    client.sessionState = { ...client.sessionState, user: null };
    mount();
    (await until(() => container.querySelector<HTMLButtonElement>('.kith-dock'))).click();
    await until(() => byText('.kith-empty', /Sign in to Kith/));
    expect(container.querySelector('[role="tab"]')).toBeNull();
  });

  it('closes on Escape and gives focus back to the button', async () => {
    mount();
    await openTab('Friends');
    await until(() => byText('.kith-empty', /None of your friends/));
    container
      .querySelector('.kith-panel')!
      .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await until(() => !container.querySelector('.kith-panel'));
    expect(document.activeElement?.className).toContain('kith-dock');
  });

  it('closes with its ✕ and gives focus back to the button', async () => {
    mount();
    await openTab('Chat');
    const close = await until(() =>
      container.querySelector<HTMLButtonElement>('.kith-panel .kith-close'),
    );
    expect(close.getAttribute('aria-label')).toBe('Close Kith');
    expect(close.type).toBe('button');
    expect(close.querySelector('svg')?.getAttribute('width')).toBe('18');
    close.click();
    await until(() => !container.querySelector('.kith-panel'));
    expect(document.activeElement?.className).toContain('kith-dock');
  });

  it('puts the "no video" notice away with its ✕', async () => {
    site.show(null);
    mount(60);
    await until(() => byText('.kith-missing button', 'Try again'));
    const dismiss = container.querySelector<HTMLButtonElement>('.kith-missing .kith-close')!;
    expect(dismiss.getAttribute('aria-label')).toBe('Dismiss');
    expect(dismiss.querySelector('svg')?.getAttribute('width')).toBe('14');
    dismiss.click();
    await until(() => !container.querySelector('.kith-missing'));
  });

  it('offers "try again" when there is no video, and docks once there is one', async () => {
    site.show(null);
    mount(60);
    const again = await until(() => byText('.kith-missing button', 'Try again'));
    expect(container.querySelector('.kith-dock')).toBeNull();
    site.show(clipInfo('7301234567890123453', 'Commute'));
    again.click();
    await until(() => container.querySelector('.kith-dock'));
    expect(container.querySelector('.kith-missing')).toBeNull();
  });

  it('a viewer who only watches tells the server nothing about the clip: the dock counts from the local index', async () => {
    const clip = clipInfo('7301234567890123451', 'Scout skates');
    client.tagged = [TOTE];
    client.localFor.set(clip.url, {
      clip: { site: 'tiktok', clipId: clip.clipId, url: clip.url },
      groups: [
        {
          groupId: 'g-room',
          kind: 'group',
          name: 'Roommates',
          messageCount: 2,
          lastAt: new Date().toISOString(),
          people: [BEN],
        },
      ],
      friends: [BEN],
    } as ApiOutputs['clips.activity']);
    mount();
    const dock = await until(() => container.querySelector('.kith-dock[aria-label*="2 messages"]'));
    // The shop strip found the tagged product too, by a four-digit hash prefix.
    await until(() => container.querySelector('.kith-shop-chip'));
    const asked = JSON.stringify(client.queries);
    expect(asked).not.toContain(clip.clipId);
    expect(client.queries.map((q) => q.path)).not.toContain('clips.activity');
    expect(client.queries.map((q) => q.path)).not.toContain('shop.forClip');
    expect(client.queries.find((q) => q.path === 'shop.forClipPrefix')?.input).toEqual({
      prefix: sha256(`tiktok:${clip.clipId}`).slice(0, 4),
    });
    expect(client.localAsked).toContain(clip.clipId);

    // Opening Kith on the clip is acting on it: now the server is asked.
    (dock as HTMLButtonElement).click();
    await until(() =>
      client.queries.some(
        (q) => q.path === 'clips.activity' && (q.input as { url: string }).url === clip.url,
      ),
    );
  });

  it('says who in my groups talked about the clip', async () => {
    client.activityFor.set(clipInfo('7301234567890123451', '').url, {
      clip: { site: 'tiktok', clipId: '7301234567890123451', url: '' },
      groups: [
        {
          groupId: 'g-room',
          kind: 'group',
          name: 'Roommates',
          messageCount: 4,
          unread: 0,
          lastAt: new Date().toISOString(),
          people: [BEN, { id: 'u-ana', handle: 'ana', displayName: 'Ana' }, ME],
        },
      ],
      friends: [BEN],
    } as ApiOutputs['clips.activity']);
    mount();
    await openTab('Friends');
    const line = await until(() => byText('.kith-activity-item', /talked about this/));
    expect(line.textContent).toContain('Ben and 2 others talked about this in Roommates');
    // All four are read: the dock shows no count (it counts unread messages only).
    expect(container.querySelector('.kith-count')).toBeNull();
    line.click();
    await until(() => byText('[role="tab"][aria-selected="true"]', 'Chat'));
    expect(overlay.chatGroupId.value).toBe('g-room');
  });
  const TOTE = {
    id: 'p-tote',
    brandId: 'b-scout',
    brand: { id: 'b-scout', name: 'Scout Goods', slug: 'scout' },
    title: 'Canvas tote',
    description: null,
    imageUrl: null,
    priceCents: 2500,
    currency: 'USD',
    canBuy: true,
    fromSeconds: null,
    toSeconds: null,
  } as unknown as ApiOutputs['shop.forClip']['products'][number];

  /** Opens the tote's card from the shop strip and submits Share to group (Roommates). */
  const shareTote = async () => {
    (await until(() => container.querySelector<HTMLButtonElement>('.kith-shop-chip')))!.click();
    (await until(() => byText('.kith-product button', 'Share to group')))!.click();
    const form = await until(() => container.querySelector<HTMLFormElement>('.kith-product form'));
    form.requestSubmit();
  };

  it('a product card closes with its ✕', async () => {
    client.tagged = [TOTE];
    mount();
    (await until(() => container.querySelector<HTMLButtonElement>('.kith-shop-chip')))!.click();
    const close = await until(() =>
      container.querySelector<HTMLButtonElement>('.kith-product .kith-close'),
    );
    expect(close.className).toBe('kith-close kith-product-close');
    expect(close.getAttribute('aria-label')).toBe('Close');
    close.click();
    await until(() => !container.querySelector('.kith-product'));
    expect(container.querySelector('.kith-shop-chip')?.getAttribute('aria-expanded')).toBe('false');
  });

  it('a product shared offline shows as queued on its card, and is sent once when the connection returns', async () => {
    client.tagged = [TOTE];
    client.sessionState = { ...client.sessionState, connection: 'offline' };
    mount();
    await shareTote();
    const queued = await until(() => container.querySelector('.kith-share-state.is-queued'));
    // The background answered "queued" and the share form closed.
    await until(() => !container.querySelector('.kith-product form'));
    expect(queued.textContent).toBe("Offline — shares to Roommates when you're back.");
    expect(client.sent).toEqual([
      {
        clientId: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
        groupId: 'g-room',
        body: '',
        productId: 'p-tote',
        clip: clipInfo('7301234567890123451', 'Scout skates'),
      },
    ]);
    const { clientId } = client.sent[0] as { clientId: string };
    expect(client.outboxEntries.map((e) => e.clientId)).toEqual([clientId]);

    // Back online: the card says it is on its way, then the background's send empties the outbox.
    client.changeSession({ ...client.sessionState, connection: 'online' });
    await until(() => container.querySelector('.kith-share-state.is-sending'));
    expect(container.querySelector('.kith-share-state.is-sent')).toBeNull();
    client.changeOutbox([]);
    const sent = await until(() => container.querySelector('.kith-share-state.is-sent'));
    expect(sent.textContent).toBe('Shared to Roommates.Open chat');
    // The card left the sending to the outbox: one send, under the clientId named at sharing.
    await tick();
    expect(client.sent).toHaveLength(1);
    byText('.kith-share-state button', 'Open chat')!.click();
    await until(() => byText('[role="tab"][aria-selected="true"]', 'Chat'));
    expect(overlay.chatGroupId.value).toBe('g-room');
  });

  it('a product share refused by the server shows the reason, and Retry sends the same share again', async () => {
    client.tagged = [TOTE];
    client.refusals = [
      Object.assign(new Error('No such product, or it is no longer for sale.'), {
        code: 'NOT_FOUND',
      }),
    ];
    mount();
    await shareTote();
    const failed = await until(() => container.querySelector('.kith-share-state.is-failed'));
    expect(failed.getAttribute('role')).toBe('alert');
    expect(failed.textContent).toContain(
      'Not shared to Roommates: No such product, or it is no longer for sale.',
    );
    byText('.kith-share-state button', 'Retry')!.click();
    await until(() => client.sent.length === 2);
    const [first, second] = client.sent as { clientId: string }[];
    expect(second!.clientId).toBe(first!.clientId);
    // Online, the background answers once it is stored.
    await until(() => container.querySelector('.kith-share-state.is-sent'));
    expect(container.querySelector('.kith-share-state.is-failed')).toBeNull();
  });

  it('a product share refused after waiting in the outbox shows the reason until discarded', async () => {
    client.tagged = [TOTE];
    client.sessionState = { ...client.sessionState, connection: 'offline' };
    mount();
    await shareTote();
    await until(() => container.querySelector('.kith-share-state.is-queued'));
    await until(() => !container.querySelector('.kith-product form'));
    const [entry] = client.outboxEntries;
    client.changeSession({ ...client.sessionState, connection: 'online' });
    client.changeOutbox([
      { ...entry!, status: 'failed', error: 'You are no longer in this group.', attempts: 1 },
    ]);
    const failed = await until(() => container.querySelector('.kith-share-state.is-failed'));
    expect(failed.textContent).toContain(
      'Not shared to Roommates: You are no longer in this group.',
    );
    let discarded: string | null = null;
    client.discard = async () => {
      discarded = entry!.clientId;
    };
    byText('.kith-share-state button', 'Discard')!.click();
    await until(() => !container.querySelector('.kith-share-state'));
    expect(discarded).toBe(entry!.clientId);
    expect(client.sent).toHaveLength(1);
  });
});
