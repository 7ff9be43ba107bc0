import { describe, expect, it } from 'vitest';
import { Inbox } from '../../server/sync/inbox';

describe("a stream's inbox", () => {
  it('hands items to the reader in push order, whether pushed before or while it waits', async () => {
    const inbox = new Inbox<number>();
    inbox.push(1);
    inbox.push(2);
    expect(inbox.size).toBe(2);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const n of inbox) {
        seen.push(n);
        if (n === 5000) break;
      }
    })();
    for (let n = 3; n <= 5000; n++) {
      inbox.push(n);
      if (n % 7 === 0) await Promise.resolve();
    }
    await reading;
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });

  it('ends a waiting reader when its signal aborts, and takes nothing after', async () => {
    const controller = new AbortController();
    const inbox = new Inbox<string>(controller.signal);
    inbox.push('a');
    const seen: string[] = [];
    const reading = (async () => {
      for await (const s of inbox) seen.push(s);
      return 'ended';
    })();
    await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(reading).resolves.toBe('ended');
    inbox.push('late');
    expect(inbox.size).toBe(0);
    expect(seen).toEqual(['a']);
    expect(await inbox.next()).toEqual({ value: undefined, done: true });
  });

  it('starts ended with an already aborted signal', async () => {
    const inbox = new Inbox<number>(AbortSignal.abort());
    inbox.push(1);
    expect(await inbox.next()).toEqual({ value: undefined, done: true });
  });
});
