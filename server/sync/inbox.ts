/**
 * A stream's queue of events between the hub (which pushes synchronously) and the subscription
 * (which pulls): an array and at most one waiting reader. A reader takes what is there with
 * `shift()` and only waits (`wait()`, one promise) when the queue is empty, so a busy stream
 * reads its events without a promise each. Ends when `signal` aborts.
 */
export class Inbox<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private waiting: ((more: boolean) => void) | null = null;
  private closed = false;

  constructor(signal?: AbortSignal) {
    if (signal?.aborted) this.closed = true;
    signal?.addEventListener('abort', () => this.end(), { once: true });
  }

  /** How many events wait to be read. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Whether the inbox was ended: nothing more will be pushed or read. */
  get ended(): boolean {
    return this.closed;
  }

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    const reader = this.waiting;
    if (reader) {
      this.waiting = null;
      reader(true);
    }
  }

  end(): void {
    this.closed = true;
    this.items = [];
    this.head = 0;
    const reader = this.waiting;
    this.waiting = null;
    reader?.(false);
  }

  /** The oldest unread item, or undefined when there is none (or the inbox has ended). */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head] as T;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      // Drop read items now and then, not on every read.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  /** Resolves true once there is something to read, false once the inbox has ended. */
  wait(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.head < this.items.length) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.closed) return { value: undefined, done: true };
      const value = this.shift();
      if (value !== undefined) return { value, done: false };
      await this.wait();
    }
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
