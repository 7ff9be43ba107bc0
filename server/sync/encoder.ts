import { type Encoder, jsonEncoder } from '@trpc/server/adapters/ws';

/** Objects sent unchanged to many sockets, with their JSON once it has been made. */
const encoded = new WeakMap<object, string | null>();
const SLOT = '\u0000kith:shared-data\u0000';
/** Frames written with shared data, and how many times shared data was serialized. */
export const encoderStats = { sharedFrames: 0, serialized: 0 };
const SLOT_JSON = JSON.stringify(SLOT);

/**
 * Marks an object as sent as-is to many sockets and never changed afterwards (a sync event: one
 * message reaches every member's stream), so its JSON is made once instead of once per socket.
 */
export function encodeOnce<T extends object>(value: T): T {
  if (!encoded.has(value)) encoded.set(value, null);
  return value;
}

/**
 * The WebSocket encoder: JSON, like tRPC's own, except that the data of a result marked with
 * `encodeOnce` is serialized once and spliced into each socket's small envelope.
 */
export const wsEncoder: Encoder = {
  encode(message) {
    const result = (message as { result?: { type?: unknown; data?: unknown } } | null)?.result;
    if (result?.type !== 'data') return jsonEncoder.encode(message);
    // A tracked value arrives wrapped per socket as `{ id, data }`; plain results as the data.
    const outer = result.data;
    const inner = isObject(outer) ? (outer as { data?: unknown }).data : undefined;
    let data: object;
    let wrap: (slot: string) => unknown;
    if (isObject(inner) && encoded.has(inner)) {
      data = inner;
      wrap = (slot) => ({ ...result, data: { ...(outer as object), data: slot } });
    } else if (isObject(outer) && encoded.has(outer)) {
      data = outer;
      wrap = (slot) => ({ ...result, data: slot });
    } else return jsonEncoder.encode(message);
    let json = encoded.get(data);
    if (!json) {
      json = JSON.stringify(data);
      encoded.set(data, json);
      encoderStats.serialized += 1;
    }
    encoderStats.sharedFrames += 1;
    const envelope = JSON.stringify({ ...(message as object), result: wrap(SLOT) });
    // The data is the last member written, so its slot is the last occurrence.
    const at = envelope.lastIndexOf(SLOT_JSON);
    return envelope.slice(0, at) + json + envelope.slice(at + SLOT_JSON.length);
  },
  decode: (data) => jsonEncoder.decode(data),
};

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
