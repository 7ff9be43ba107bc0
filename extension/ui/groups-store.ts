import { signal as createSignal, effect, type ReadonlySignal } from '@preact/signals';
import type { GroupSummary, SessionState } from '../lib/protocol';
import type { KithClient } from './client';

export interface GroupsStore {
  groups: ReadonlySignal<GroupSummary[]>;
  status: ReadonlySignal<'idle' | 'loading' | 'ready' | 'error'>;
  reload(): void;
}

/** Event types after which the list of groups (names, members) may differ. */
const GROUP_CHANGES = new Set([
  'member.added',
  'member.removed',
  'member.left',
  'group.renamed',
  'group.archived',
]);

/** The signed-in user's groups, kept current from live events. Stops when `signal` aborts. */
export function watchGroups(
  client: KithClient,
  session: ReadonlySignal<SessionState | null>,
  signal: AbortSignal,
): GroupsStore {
  const groups = createSignal<GroupSummary[]>([]);
  const status = createSignal<'idle' | 'loading' | 'ready' | 'error'>('idle');
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const reload = () => {
    if (signal.aborted) return;
    const mine = ++generation;
    if (!session.peek()?.user) {
      groups.value = [];
      status.value = 'idle';
      return;
    }
    if (groups.peek().length === 0) status.value = 'loading';
    client.query('groups.list').then(
      (list) => {
        if (mine !== generation || signal.aborted) return;
        groups.value = list;
        status.value = 'ready';
      },
      () => {
        if (mine !== generation || signal.aborted) return;
        status.value = 'error';
      },
    );
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 150);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });

  let userId: string | null | undefined;
  const stop = effect(() => {
    const id = session.value?.user?.id ?? null;
    if (id === userId) return;
    userId = id;
    reload();
  });
  signal.addEventListener('abort', stop, { once: true });

  client.onSyncEvent((event) => {
    if (GROUP_CHANGES.has(event.type)) soon();
    else if (event.groupId && !groups.peek().some((g) => g.id === event.groupId)) soon();
  }, signal);
  return { groups, status, reload };
}
