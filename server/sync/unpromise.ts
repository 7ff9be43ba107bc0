import { Unpromise } from '@trpc/server/unstable-core-do-not-import';

/**
 * tRPC's WebSocket handler races every subscription step (`iterator.next()`) against the
 * subscription's abort promise with `Unpromise.race`, which files each fresh step promise in a
 * module-wide WeakMap. With 32 streams per message that is tens of thousands of WeakMap entries
 * a second, and V8 pays for each one again in every garbage collection until a full one clears
 * them: on a busy server this became most of the cost of a delivered frame, growing the longer
 * the server ran.
 *
 * The same cache, kept on the promise itself: a promise's Unpromise lives exactly as long as
 * the promise, as with the WeakMap, with no weak table behind it. Promises that cannot take a
 * property (frozen ones) fall back to a WeakMap.
 */
const SLOT = Symbol('trpc.unpromise');
const fallback = new WeakMap<object, Unpromise<unknown>>();

type Cached = { [SLOT]?: Unpromise<unknown> };
type Statics = {
  getSubscribablePromise(promise: object): Unpromise<unknown> | undefined;
  createSubscribablePromise(promise: object): Unpromise<unknown>;
};

function remember(key: object, value: Unpromise<unknown>) {
  if (Object.isExtensible(key))
    Object.defineProperty(key, SLOT, { value, enumerable: false, configurable: true });
  else fallback.set(key, value);
}

export function installUnpromiseCache(): void {
  const statics = Unpromise as unknown as Statics;
  if ((statics as { [SLOT]?: true })[SLOT]) return;
  statics.getSubscribablePromise = (promise) => (promise as Cached)[SLOT] ?? fallback.get(promise);
  statics.createSubscribablePromise = (promise) => {
    const created = new (Unpromise as unknown as new (p: object) => Unpromise<unknown>)(promise);
    remember(promise, created);
    remember(created, created);
    return created;
  };
  Object.defineProperty(statics, SLOT, { value: true });
}
