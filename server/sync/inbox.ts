/**
 * A stream's queue of events between the hub (which pushes synchronously) and the subscription's
 * async generator (which pulls): an array and at most one waiting reader, so a delivered event
 * costs one push and, when the reader is idle, one resolved promise. Ends when `signal` aborts.
 */
export class Inbox<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;

  constructor(signal?: AbortSignal) {
    if (signal?.aborted) this.ended = true;
    signal?.addEventListener('abort', () => this.end(), { once: true });
  }

  /** How many events wait to be read. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.ended) return;
    const reader = this.waiting;
    if (reader) {
      this.waiting = null;
      reader({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    this.items = [];
    this.head = 0;
    const reader = this.waiting;
    this.waiting = null;
    reader?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.head += 1;
      // Drop read items now and then, not on every read.
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.end();
        return { value: undefined, done: true };
      },
    };
  }
}
