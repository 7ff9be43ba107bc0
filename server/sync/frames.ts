/**
 * Direct frames for `sync.events` over WebSocket.
 *
 * tRPC hands each value of a subscription to the socket through several promises and objects
 * (`iterator.next()` raced against the abort signal, a response envelope, the transformer, the
 * encoder), once per stream. A message reaches up to 32 streams, so on a busy server that
 * machinery was most of the cost of a delivered message. Instead, once tRPC has answered a
 * `sync.events` subscription with `started`, the stream writes its frames to the socket itself,
 * in exactly the form tRPC would (`{id, jsonrpc, result: {type: 'data', id, data: {id, data}}}`,
 * parsed the same by any tRPC client), with an event's JSON made once for every stream it
 * reaches. tRPC still owns everything else on the socket: the request, `started`, errors,
 * `stopped`, and the end of the stream.
 *
 * How a stream learns its request id: tRPC sends `started` and, in the same synchronous step,
 * asks the subscription's iterable for its iterator. `watchStarts` remembers a socket's last
 * `started` frame until the current microtask ends; the stream takes it when it is asked for
 * its iterator. A stream that finds none (in-process callers, another transport) yields its
 * frames to tRPC as usual.
 */

/** What a stream needs of a `ws` socket. */
export interface FrameSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string): void;
}

/** Frames written and event JSON made, for tests and benchmarks. */
export const frameStats = { frames: 0, serialized: 0 };

const STARTED_SUFFIX = ',"result":{"type":"started"}}';
const starts = new WeakMap<object, string>();

/**
 * Remembers `started` frames sent on this socket, each until the end of the current microtask.
 * Call once per socket, before tRPC's handler sees it.
 */
export function watchStarts(ws: FrameSocket): void {
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  (ws as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
    const data = args[0];
    if (typeof data === 'string' && data.length < 200 && data.endsWith(STARTED_SUFFIX)) {
      const prefix = framePrefix(data);
      if (prefix) {
        starts.set(ws, prefix);
        queueMicrotask(() => {
          if (starts.get(ws) === prefix) starts.delete(ws);
        });
      }
    }
    send(...args);
  };
}

/** The prefix of data frames for the subscription whose `started` was just sent, once. */
export function takeStart(ws: FrameSocket): string | null {
  const prefix = starts.get(ws) ?? null;
  starts.delete(ws);
  return prefix;
}

function framePrefix(started: string): string | null {
  let message: { id?: unknown; jsonrpc?: unknown };
  try {
    message = JSON.parse(started);
  } catch {
    return null;
  }
  if (typeof message.id !== 'number' && typeof message.id !== 'string') return null;
  const head: { id: unknown; jsonrpc?: unknown } = { id: message.id };
  if (message.jsonrpc !== undefined) head.jsonrpc = message.jsonrpc;
  // `{"id":1,"jsonrpc":"2.0"` + `,"result":{"type":"data","id":`
  return `${JSON.stringify(head).slice(0, -1)},"result":{"type":"data","id":`;
}

const json = new WeakMap<object, string>();

/** A data frame carrying `tracked(trackedId, data)`; `data`'s JSON is made once per object. */
export function dataFrame(prefix: string, trackedId: string, data: object): string {
  let text = json.get(data);
  if (text === undefined) {
    text = JSON.stringify(data);
    json.set(data, text);
    frameStats.serialized += 1;
  }
  frameStats.frames += 1;
  const id = JSON.stringify(trackedId);
  return `${prefix}${id},"data":{"id":${id},"data":${text}}}}`;
}
