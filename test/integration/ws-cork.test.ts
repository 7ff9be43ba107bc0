import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { coalesceWrites } from '../../server/ws-cork';

describe('coalescing the frames of one event-loop turn', () => {
  let wss: WebSocketServer;
  let url: string;
  const serverSide: WebSocket[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as { port: number };
    url = `ws://127.0.0.1:${port}`;
    wss.on('connection', (ws) => {
      coalesceWrites(ws);
      serverSide.push(ws);
    });
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  async function connect() {
    const client = new WebSocket(url);
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    while (serverSide.length === 0) await new Promise((r) => setTimeout(r, 5));
    return { client, received, server: serverSide.shift()! };
  }

  it('holds a turn’s frames in one write and delivers all of them, in order', async () => {
    const { client, received, server } = await connect();
    const socket = (server as unknown as { _socket: Socket })._socket;
    for (let i = 0; i < 50; i++) server.send(`frame ${i}`);
    // Corked during the turn: nothing has been handed to the kernel yet.
    expect(socket.writableCorked).toBeGreaterThan(0);
    await new Promise((r) => setImmediate(r));
    expect(socket.writableCorked).toBe(0);
    while (received.length < 50) await new Promise((r) => setTimeout(r, 5));
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `frame ${i}`));

    // The next turn corks again; a frame sent alone still goes out.
    server.send('alone');
    await new Promise((r) => setImmediate(r));
    expect(socket.writableCorked).toBe(0);
    while (received.length < 51) await new Promise((r) => setTimeout(r, 5));
    expect(received.at(-1)).toBe('alone');
    client.close();
  });

  it('a socket closed while corked does not throw when the turn ends', async () => {
    const { client, server } = await connect();
    const closed = new Promise((resolve) => server.once('close', resolve));
    server.send('last words');
    server.terminate();
    await new Promise((r) => setImmediate(r));
    await closed;
    expect(server.readyState).toBe(WebSocket.CLOSED);
    client.terminate();
  });
});
