import { describe, expect, it } from 'vitest';
import { encodeOnce, wsEncoder } from '../../server/sync/encoder';

const envelope = (id: unknown, data: unknown) => ({
  id,
  jsonrpc: '2.0',
  result: { type: 'data', data },
});
/** How tRPC sends a `tracked(id, data)` value: wrapped per socket as `{ id, data }`. */
const trackedEnvelope = (id: unknown, data: unknown) => ({
  id,
  jsonrpc: '2.0',
  result: { type: 'data', id: '42', data: { id: '42', data } },
});

describe('the WebSocket encoder', () => {
  it('writes exactly the JSON of the message, shared data or not', () => {
    const shared = encodeOnce({
      id: 42,
      type: 'message.created',
      payload: {
        body: 'quote " backslash \\ line\nbreak, emoji 👋🏽, \u202eRTL',
        n: [1, null, true],
      },
    });
    const plain = { type: 'x', payload: { a: 1 } };
    for (const [id, data] of [
      [1, shared],
      ['sub-7', shared],
      [2, plain],
      [3, null],
      [4, 'a string'],
    ] as const) {
      for (const message of [envelope(id, data), trackedEnvelope(id, data)]) {
        const text = wsEncoder.encode(message) as string;
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(message)));
      }
    }
    // Errors and other messages pass through as they are.
    const error = { id: 9, error: { message: 'no', code: -32600 } };
    expect(wsEncoder.encode(error)).toBe(JSON.stringify(error));
    expect(wsEncoder.decode(JSON.stringify(error))).toEqual(error);
  });

  it('a subscription id that imitates the data slot cannot move the data', () => {
    const shared = encodeOnce({ type: 'typing', payload: {} });
    for (const message of [
      envelope('\u0000kith:shared-data\u0000', shared),
      trackedEnvelope('\u0000kith:shared-data\u0000', shared),
    ]) {
      expect(JSON.parse(wsEncoder.encode(message) as string)).toEqual(
        JSON.parse(JSON.stringify(message)),
      );
    }
  });

  it('serializes a shared object once however many sockets it goes to', () => {
    let reads = 0;
    const shared = encodeOnce({
      get payload() {
        reads += 1;
        return { body: 'hi' };
      },
    });
    const frames = Array.from(
      { length: 32 },
      (_, i) => wsEncoder.encode(trackedEnvelope(i, shared)) as string,
    );
    expect(reads).toBe(1);
    expect(frames.map((f) => JSON.parse(f).result.data.data)).toEqual(
      Array.from({ length: 32 }, () => ({ payload: { body: 'hi' } })),
    );
    expect(new Set(frames.map((f) => JSON.parse(f).id))).toHaveLength(32);
  });
});
