import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/process';

/**
 * The server's log goes to a pipe whose reader stalls or goes away (a log shipper that hung or
 * died). The pipe is a FIFO, so it holds what a real pipe holds (64 KB on Linux) and the test
 * decides whether anyone reads it: its read end is opened here and never read, or closed.
 */

const root = path.resolve(import.meta.dirname, '../..');
const WEBHOOK_SECRET = 'whsec_shutdown_test';
/** SIGTERM to exit: the server promises to be gone within 10 s; the test allows some slack. */
const EXIT_BOUND_MS = 15_000;

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Closes the test's end of the log pipe: the reader going away. */
  closeReader(): void;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'kith-shutdown-'));
const started: Started[] = [];

afterAll(() => {
  for (const s of started) {
    try {
      if (s.child.pid) process.kill(-s.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    s.closeReader();
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts `server/main.ts` in its own process group with its stdout on a FIFO, and waits for /health. */
async function startWithLogPipe(name: string): Promise<Started> {
  const fifo = path.join(scratch, `${name}.log`);
  execFileSync('mkfifo', [fifo]);
  // The read end first, without blocking (no writer yet); then the write end for the server.
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: path.join(scratch, name),
      LOG_LEVEL: 'info',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    stdio: ['ignore', writeEnd, 'pipe'],
    detached: true,
  });
  closeSync(writeEnd);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let open = true;
  const closeReader = () => {
    if (open) closeSync(readEnd);
    open = false;
  };
  const s: Started = { child, url, stderr: () => stderr, exited, closeReader };
  started.push(s);
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (gone) throw new Error(`server exited during start-up:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`server did not answer /health:\n${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return s;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Makes the server write about `bytes` of log: a signed Stripe event, delivered again and again,
 * is logged each time (`stripe event`, then `duplicate`) and changes nothing after the first.
 */
async function makeItLog(url: string, bytes: number) {
  const id = `evt_${'x'.repeat(1000)}`;
  const payload = JSON.stringify({
    id,
    object: 'event',
    type: 'account.updated',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'acct_nobody', object: 'account', metadata: {} } },
  });
  const count = Math.ceil(bytes / id.length);
  for (let sent = 0; sent < count; sent += 20) {
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(`${url}/stripe/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': Stripe.webhooks.generateTestHeaderString({
              payload,
              secret: WEBHOOK_SECRET,
            }),
          },
          body: payload,
        });
        expect(res.status).toBe(200);
      }),
    );
  }
}

/** Sends SIGTERM and waits at most `EXIT_BOUND_MS` for the process to end. */
async function terminate(s: Started) {
  s.child.kill('SIGTERM');
  return Promise.race([
    s.exited,
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), EXIT_BOUND_MS)),
  ]);
}

describe('a server whose log reader has gone', () => {
  it('still exits within 15 s of SIGTERM when nobody reads its log and the pipe is full', async () => {
    const s = await startWithLogPipe('stalled');
    // Four times what the pipe holds: the rest waits in the server.
    await makeItLog(s.url, 256 * 1024);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(await terminate(s), s.stderr()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('exits within 15 s of SIGTERM when the log reader closed the pipe', async () => {
    const s = await startWithLogPipe('closed');
    s.closeReader();
    // Its next log line (the shutdown's own) is the first to find the pipe broken.
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(await terminate(s), s.stderr()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
