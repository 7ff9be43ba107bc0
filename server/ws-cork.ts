import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * Frames a socket sends within one turn of the event loop leave in one write: the socket is
 * corked at the first frame and uncorked once the turn's work is done (`setImmediate`). A
 * batch of messages committed together reaches each member's stream as several frames in the
 * same turn, so this turns many small writes (a system call each) into one.
 */
export function coalesceWrites(ws: WebSocket): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (!socket || typeof socket.cork !== 'function') return;
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  (ws as unknown as { send: (...args: unknown[]) => void }).send = (...args: unknown[]) => {
    if (!corked && !socket.destroyed && ws.readyState === ws.OPEN) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    send(...args);
  };
}
