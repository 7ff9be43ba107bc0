import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { sql } from 'drizzle-orm';
import { WebSocketServer } from 'ws';
import type { Deps } from './deps';
import { appRouter } from './router';
import { watchStarts } from './sync/frames';
import { SessionSockets } from './sync/revocation';
import { createContextInner } from './trpc';
import { coalesceWrites } from './ws-cork';

export interface RunningServer {
  server: Server;
  url: string;
  wsUrl: string;
  port: number;
  /** Stops accepting, tells socket clients to reconnect elsewhere, drains, then resolves. */
  close(): Promise<void>;
}

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => Promise<boolean> | boolean;

/** Largest request body the HTTP API reads; bigger ones get 413 without being buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim() ?? null;
}

/**
 * The client's address: the socket's peer, or with `trustedHops` proxies in front, the address
 * the outermost trusted proxy saw (X-Forwarded-For entries further left are the client's own
 * claims and are not believed).
 */
export function clientIp(req: IncomingMessage, trustedHops = 0): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - trustedHops)] ?? peer;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

/** Answers an upgrade request with a plain HTTP error on the raw socket, then closes it. */
function refuseUpgrade(socket: Duplex, status: number, message: string) {
  const body = `${message}\n`;
  socket.on('error', () => {});
  socket.once('finish', () => socket.destroy());
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      'Retry-After: 10',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

/** What tRPC says when a batch has more than `maxBatchSize` calls. */
const TRPC_BATCH_TOO_BIG = 'Batch call exceeds maximum size';

/**
 * tRPC refuses a batch over the cap before running any of it; this says so, and what to do,
 * in place of its own words (the error is shaped for the client after `onError`).
 */
function explainBatchCap(error: TRPCError, cap: number) {
  if (error.code === 'BAD_REQUEST' && error.message === TRPC_BATCH_TOO_BIG) {
    error.message = `Too many calls in one batch: at most ${cap} are allowed. Split them into smaller batches and send again; none of these calls were run.`;
  }
}

/** Server-side failures go to the log; a client's own mistakes (4xx) do not. */
function logFailure(deps: Deps, error: TRPCError, path: string | undefined, what: string) {
  const err = error.cause ?? error;
  // A dependency that is down (database, Stripe): the client was told to retry.
  if (error.code === 'SERVICE_UNAVAILABLE')
    deps.log.warn({ err: String(err), path }, `${what}: unavailable`);
  else if (error.code === 'INTERNAL_SERVER_ERROR') deps.log.error({ err, path }, what);
}

/**
 * The longest a client may take to send a whole request (headers and body), and its headers.
 * Node's own defaults (300 s, 60 s) let a client trickling a byte now and then hold a
 * connection for minutes; past these it is answered 408 and closed.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;

/** How long /health waits for the database before saying it cannot tell. */
export const HEALTH_DB_TIMEOUT_MS = 800;

/**
 * Whether the database answers `select 1` now: 'ok', 'unreachable' (it failed), or 'timeout'
 * (no answer within `HEALTH_DB_TIMEOUT_MS`: stalled, or every connection busy), so /health
 * answers within a second whatever the database does. A query left behind ends on its own
 * timeouts.
 */
async function databaseState(deps: Deps): Promise<'ok' | 'unreachable' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), HEALTH_DB_TIMEOUT_MS);
  });
  const answered = deps.db.execute(sql`select 1`).then(
    () => 'ok' as const,
    () => 'unreachable' as const,
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One HTTP server: tRPC over HTTP under /trpc, tRPC over WebSocket on the same port, /health,
 * and whatever extra routes the caller adds (webhooks, widgets, console).
 */
export async function startServer(
  deps: Deps,
  options: {
    port?: number;
    host?: string;
    routes?: RouteHandler[];
    /** How often open sockets' sessions are checked against the database. */
    sessionRecheckMs?: number;
    /** Longest time to receive a whole request (default `REQUEST_TIMEOUT_MS`). */
    requestTimeoutMs?: number;
    /** Longest time to receive a request's headers (default `HEADERS_TIMEOUT_MS`). */
    headersTimeoutMs?: number;
  } = {},
): Promise<RunningServer> {
  const batchCap = deps.limits.settings.batchCalls;
  const trpcHandler = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    // Each call in a batch is a request of its own (a password check, a send...): one HTTP
    // request or socket message may not carry more than the cap.
    maxBatchSize: batchCap,
    // No procedure takes anywhere near this; without a cap a client could make the server
    // buffer an arbitrarily large body (the socket side is capped by `maxPayload`).
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req }) =>
      createContextInner(deps, { token: bearer(req), ip: clientIp(req, deps.env.TRUST_PROXY) }),
    onError: ({ error, path }) => {
      explainBatchCap(error, batchCap);
      logFailure(deps, error, path, 'procedure failed');
    },
  });

  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout);
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      // How often Node looks for requests past those timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    },
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://local');
      try {
        if (url.pathname === '/health') {
          // `ok` is the database's: without Redis an instance still serves (counting limits on
          // its own, fan-out to other instances caught up from the database), so it stays in.
          const [db, redis] = await Promise.all([
            databaseState(deps),
            deps.limits.storeState(HEALTH_DB_TIMEOUT_MS),
          ]);
          const extra = redis ? { redis } : {};
          if (db === 'ok')
            return sendJson(res, 200, { ok: true, db, bus: deps.bus.kind, ...extra });
          return sendJson(res, 503, { ok: false, db, ...extra });
        }
        if (url.pathname.startsWith('/trpc/')) {
          res.setHeader('access-control-allow-origin', '*');
          res.setHeader('access-control-allow-headers', 'authorization, content-type, trpc-accept');
          res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
          if (req.method === 'OPTIONS') {
            res.writeHead(204).end();
            return;
          }
          return trpcHandler(req, res);
        }
        for (const route of options.routes ?? []) {
          if (await route(req, res, url)) return;
        }
        sendJson(res, 404, { error: 'Not found' });
      } catch (error) {
        deps.log.error({ err: error, path: url.pathname }, 'request failed');
        if (!res.headersSent)
          sendJson(res, 500, { error: 'Something went wrong on our side. Please try again.' });
        else res.end();
      }
    },
  );
  server.keepAliveTimeout = 5000;

  // Open connections per peer address (HTTP and WebSocket alike), counted when the connection
  // is made, before any request: X-Forwarded-For is per request and cannot be believed here.
  // Behind trusted proxies (TRUST_PROXY) every peer is a proxy, so the cap is theirs to keep.
  const connectionsByPeer = new Map<string, number>();
  const connectionCap = deps.limits.settings.connectionsPerAddress;
  server.on('connection', (socket) => {
    if (deps.env.TRUST_PROXY > 0) return;
    const peer = socket.remoteAddress ?? 'unknown';
    const count = connectionsByPeer.get(peer) ?? 0;
    if (count >= connectionCap) {
      socket.destroy();
      return;
    }
    connectionsByPeer.set(peer, count + 1);
    socket.once('close', () => {
      const left = (connectionsByPeer.get(peer) ?? 1) - 1;
      if (left > 0) connectionsByPeer.set(peer, left);
      else connectionsByPeer.delete(peer);
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  // A socket's context is made once: when its session is revoked, the socket is closed.
  const sessionSockets = new SessionSockets(deps.bus, {
    db: deps.db,
    log: deps.log,
    recheckMs:
      options.sessionRecheckMs ??
      (deps.env.SESSION_RECHECK_SECONDS ? deps.env.SESSION_RECHECK_SECONDS * 1000 : undefined),
  });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: async ({ req, res, info }) => {
      const token = info.connectionParams?.token ?? null;
      const ctx = await createContextInner(deps, {
        token,
        ip: clientIp(req, deps.env.TRUST_PROXY),
      });
      if (!ctx.user || !ctx.tokenHash) return { ...ctx, socket: res };
      sessionSockets.track(res, ctx.user.id, ctx.tokenHash);
      return { ...ctx, socket: res, stillSignedIn: () => sessionSockets.stillSignedIn(res) };
    },
    keepAlive: { enabled: true, pingMs: 20_000, pongWaitMs: 10_000 },
    maxBatchSize: batchCap,
    onError: ({ error, path }) => {
      explainBatchCap(error, batchCap);
      logFailure(deps, error, path, 'socket procedure failed');
    },
  });
  // Open sockets per client address, signed in or not: each holds memory and a descriptor.
  const socketsByAddress = new Map<string, number>();
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path !== '/trpc' && path !== '/trpc/') {
      socket.destroy();
      return;
    }
    const address = clientIp(req, deps.env.TRUST_PROXY);
    const cap = deps.limits.settings.socketsPerAddress;
    const count = socketsByAddress.get(address) ?? 0;
    if (count >= cap) {
      refuseUpgrade(
        socket,
        429,
        `Too many open connections from your address (at most ${cap}). Close some of them (other tabs or devices), then try again.`,
      );
      return;
    }
    socketsByAddress.set(address, count + 1);
    // The raw socket's close frees the slot, whether the handshake succeeded or not.
    socket.once('close', () => {
      const left = (socketsByAddress.get(address) ?? 1) - 1;
      if (left > 0) socketsByAddress.set(address, left);
      else socketsByAddress.delete(address);
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      coalesceWrites(ws);
      watchStarts(ws);
      wss.emit('connection', ws, req);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  let closing: Promise<void> | null = null;

  return {
    server,
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/trpc`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        sessionSockets.close();
        wsHandler.broadcastReconnectNotification();
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        wss.close();
        server.closeIdleConnections();
        const drained = await Promise.race([
          stopped.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref()),
        ]);
        if (!drained) server.closeAllConnections();
        for (const client of wss.clients) client.terminate();
      })();
      return closing;
    },
  };
}
