import { initTRPC, transformTRPCResponse } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import {
  dataFrame,
  type FrameSocket,
  frameStats,
  takeStart,
  watchStarts,
} from '../../server/sync/frames';
import { HOSTILE } from '../fixtures/hostile';

const config = initTRPC.create().router({})._def._config;

/** What tRPC's WebSocket handler writes for `tracked(trackedId, data)` on subscription `id`. */
function trpcFrame(
  id: number | string,
  jsonrpc: '2.0' | undefined,
  trackedId: string,
  data: unknown,
) {
  return JSON.stringify(
    transformTRPCResponse(config, {
      id,
      jsonrpc,
      result: { type: 'data', id: trackedId, data: { id: trackedId, data } },
    }),
  );
}

function startedFrame(id: number | string, jsonrpc?: '2.0') {
  return JSON.stringify({ id, jsonrpc, result: { type: 'started' } });
}

function fakeSocket() {
  const sent: string[] = [];
  const socket: FrameSocket = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    send: (data: string) => void sent.push(data),
  };
  return { socket, sent };
}

describe('direct sync frames', () => {
  it('read exactly as the frame tRPC writes for the same tracked value', () => {
    const values = [
      { id: 1, type: 'message.created', payload: { body: 'hi "there" \\ 👋🏽 \u2028 </script>' } },
      ...HOSTILE.map(({ text }, i) => ({ id: i, type: 'x', payload: { text } })),
    ];
    for (const [id, jsonrpc] of [
      [1, '2.0'],
      ['sub "7"', '2.0'],
      [42, undefined],
    ] as const) {
      const { socket } = fakeSocket();
      watchStarts(socket);
      socket.send(startedFrame(id, jsonrpc));
      const prefix = takeStart(socket);
      expect(prefix).not.toBeNull();
      for (const [i, value] of values.entries()) {
        const ours = dataFrame(prefix as string, String(1000 + i), value);
        expect(JSON.parse(ours)).toEqual(
          JSON.parse(trpcFrame(id, jsonrpc, String(1000 + i), value)),
        );
      }
    }
  });

  it("serializes an event once however many streams' frames carry it", () => {
    const shared = { id: 9, type: 'message.created', payload: { body: 'one JSON' } };
    const before = frameStats.serialized;
    const frames = ['1', '2', '3'].map((id) =>
      dataFrame(`{"id":${id},"jsonrpc":"2.0","result":{"type":"data","id":`, '9', shared),
    );
    expect(frameStats.serialized - before).toBe(1);
    expect(frames.map((f) => JSON.parse(f).result.data.data)).toEqual([shared, shared, shared]);
  });

  it('learns a subscription id from its started frame, once, within the same step', async () => {
    const { socket, sent } = fakeSocket();
    watchStarts(socket);
    expect(takeStart(socket)).toBeNull();
    socket.send('{"id":3,"jsonrpc":"2.0","result":{"type":"data","data":{"ok":true}}}');
    socket.send(
      JSON.stringify({ id: 4, result: { type: 'data', data: ',"result":{"type":"started"}}' } }),
    );
    expect(takeStart(socket)).toBeNull();
    socket.send(startedFrame(5, '2.0'));
    expect(sent).toHaveLength(3);
    expect(takeStart(socket)).toBe('{"id":5,"jsonrpc":"2.0","result":{"type":"data","id":');
    expect(takeStart(socket)).toBeNull();
    // Not taken in the same step: forgotten, so a later stream cannot pick up a stale id.
    socket.send(startedFrame(6, '2.0'));
    await Promise.resolve();
    expect(takeStart(socket)).toBeNull();
    // Another socket's start is not this one's.
    const other = fakeSocket();
    watchStarts(other.socket);
    other.socket.send(startedFrame(7, '2.0'));
    expect(takeStart(socket)).toBeNull();
    expect(takeStart(other.socket)).not.toBeNull();
  });
});
