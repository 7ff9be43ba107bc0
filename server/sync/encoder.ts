import { type Encoder, jsonEncoder } from '@trpc/server/adapters/ws';

/** Objects sent unchanged to many sockets, with their JSON once it has been made. */
const encoded = new WeakMap<object, string | null>();
const SLOT = '\u0000kith:shared-data\u0000';
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
    const data = result?.data;
    if (result?.type !== 'data' || typeof data !== 'object' || data === null) {
      return jsonEncoder.encode(message);
    }
    let json = encoded.get(data);
    if (json === undefined) return jsonEncoder.encode(message);
    if (json === null) {
      json = JSON.stringify(data);
      encoded.set(data, json);
    }
    const envelope = JSON.stringify({ ...(message as object), result: { ...result, data: SLOT } });
    // The data is the last member written, so its slot is the last occurrence.
    const at = envelope.lastIndexOf(SLOT_JSON);
    return envelope.slice(0, at) + json + envelope.slice(at + SLOT_JSON.length);
  },
  decode: (data) => jsonEncoder.decode(data),
};
