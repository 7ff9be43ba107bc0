import { existsSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { startServer } from './app';
import { type Bus, createMemoryBus, createRedisBus } from './bus';
import { busChannel, openDatabase } from './db/client';
import { seedDemo } from './demo-seed';
import { EnvError, parseEnv } from './env';
import { createLimits, limitSettingsFromEnv } from './limits';
import { homeRoutes } from './pages/home';
import { paymentRoutes } from './payments/routes';
import { createPayments } from './payments/stripe';
import { startSweeper } from './payments/sweeper';
import { CommandRedis } from './redis';
import { EventHub } from './sync/hub';
import { widgetRoutes } from './widgets-routes';

async function main() {
  let env: ReturnType<typeof parseEnv>;
  try {
    env = parseEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logOut = logDestination();
  const log = pino({ level: env.LOG_LEVEL }, logOut);
  const dataDir = path.resolve(env.DATA_DIR, 'pglite');
  log.info(
    env.DATABASE_URL
      ? 'opening PostgreSQL and applying migrations'
      : `opening embedded database in ${dataDir}`,
  );
  const database = await openDatabase(
    env.DATABASE_URL
      ? {
          url: env.DATABASE_URL,
          timeouts: {
            connectMs: env.DATABASE_CONNECT_TIMEOUT_MS,
            statementMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
            idleInTransactionMs: env.DATABASE_IDLE_TX_TIMEOUT_MS,
          },
        }
      : { dataDir },
  );
  const bus: Bus = env.REDIS_URL
    ? createRedisBus(env.REDIS_URL, {
        channel: await busChannel(database.db),
        onError: (err) => log.warn({ err: err.message }, 'redis bus error'),
      })
    : createMemoryBus();
  const hub = new EventHub({ db: database.db, bus, log });
  await hub.start();
  const payments = createPayments(env);
  // With Redis, every instance counts sign-in failures, sends and checkouts together; a
  // command Redis does not answer within 500 ms fails, and the instance counts on its own.
  const limitsRedis = env.REDIS_URL ? new CommandRedis(env.REDIS_URL) : null;
  limitsRedis?.on('error', (err) => log.warn({ err: err.message }, 'redis limits error'));
  const limits = createLimits(
    limitSettingsFromEnv(env),
    limitsRedis ? { redis: limitsRedis, prefix: await busChannel(database.db) } : undefined,
  );
  const deps = { db: database.db, bus, hub, env, log, limits, payments };
  // A demo brand on an empty database, so /demo works at once; a failure never stops the server.
  await seedDemo(deps).then(
    (result) => log.info({ result }, 'demo brand'),
    (err) => log.warn({ err }, 'could not seed the demo brand'),
  );
  // Safety net for a lost checkout.session.expired webhook: gives up unpayable pending orders.
  const sweeper = startSweeper(deps);
  const running = await startServer(deps, {
    port: env.PORT,
    host: env.HOST,
    routes: [...paymentRoutes(deps), widgetRoutes(deps), homeRoutes(deps)],
  });

  const base = env.PUBLIC_URL;
  console.log(
    [
      '',
      `Kith is running at ${base}`,
      `  API (HTTP)       ${base}/trpc`,
      `  API (WebSocket)  ${base.replace(/^http/, 'ws')}/trpc`,
      `  Health           ${base}/health`,
      `  Brand console    ${base}/console`,
      `  Widget demo      ${base}/demo`,
      `  Widget script    ${base}/widgets/kith.js`,
      `  Database         ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${dataDir}`}`,
      `  Fan-out          ${bus.kind === 'redis' ? 'Redis (REDIS_URL)' : 'in-process'}`,
      ...extensionLines(),
      `  Payments         ${payments ? `Stripe${env.STRIPE_API_BASE ? ` at ${env.STRIPE_API_BASE}` : ''}; webhook ${base}/stripe/webhook${payments.webhookSecret ? '' : ' (set STRIPE_WEBHOOK_SECRET)'}` : 'off (set STRIPE_SECRET_KEY to sell)'}`,
      '',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the drain.
      log.warn({ signal }, 'second signal: exiting without waiting for the drain');
      await exitAfterLogs(log, logOut, 1);
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down: no new connections, draining');
    // Whatever hangs (a stalled database, a client that never reads), the process ends.
    setTimeout(() => {
      log.error(
        `shutdown did not finish within ${DRAIN_DEADLINE_MS / 1000} s; exiting anyway (connections still open were cut)`,
      );
      void exitAfterLogs(log, logOut, 1);
    }, DRAIN_DEADLINE_MS).unref();
    await running.close();
    await sweeper.stop();
    hub.stop();
    await bus.close();
    limitsRedis?.disconnect();
    await database.close();
    log.info('stopped');
    await exitAfterLogs(log, logOut, 0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** How long a SIGTERM may take to drain before the process exits anyway. */
const DRAIN_DEADLINE_MS = 9_000;
/** How long the last log lines get to reach their reader at exit (drain + this ≤ 10 s). */
const LOG_FLUSH_MS = 1_000;
/** Log lines kept in memory while the reader of stdout is slow; past this, new lines are dropped. */
const LOG_BACKLOG_BYTES = 8 * 1024 * 1024;

type LogDestination = ReturnType<typeof pino.destination>;

/**
 * stdout, written asynchronously: a log reader that stalls or goes away never blocks the server
 * (lines wait in memory, up to `LOG_BACKLOG_BYTES`, then are dropped) and never crashes it.
 */
function logDestination(): LogDestination {
  const destination = pino.destination({ dest: 1, sync: false, maxLength: LOG_BACKLOG_BYTES });
  // console.log (the start-up banner) to a pipe nobody reads any more is not worth a crash.
  process.stdout.on('error', () => {});
  return destination;
}

/**
 * Gives the last log lines up to `LOG_FLUSH_MS` to be written, then exits. The destination is
 * destroyed first, so pino's own flush at exit (a synchronous write that retries for ever on a
 * full or broken pipe) has nothing to do.
 */
async function exitAfterLogs(
  log: Logger,
  destination: LogDestination,
  code: number,
): Promise<never> {
  // Nothing more is logged: a line written after the destination closed would throw.
  log.level = 'silent';
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, LOG_FLUSH_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    destination.once('close', done);
    destination.once('error', done);
    try {
      destination.end();
    } catch {
      done();
    }
  });
  try {
    destination.destroy();
  } catch {
    // already closed
  }
  process.exit(code);
}

/** Where `npm start` put the unpacked extension builds, if it did. */
function extensionLines(): string[] {
  const out = path.resolve(process.env.KITH_OUT_DIR ?? '.output');
  const builds = [
    ['Chrome', 'chrome-mv3', 'chrome://extensions → Developer mode → Load unpacked →'],
    ['Firefox', 'firefox-mv2', 'about:debugging → This Firefox → Load Temporary Add-on →'],
  ] as const;
  return builds
    .filter(([, dir]) => existsSync(path.join(out, dir, 'manifest.json')))
    .map(([name, dir, how]) => {
      const target = path.join(out, dir, name === 'Firefox' ? 'manifest.json' : '');
      return `  Extension (${name})${' '.repeat(8 - name.length)}${how} ${target}`;
    });
}

main().catch((error) => {
  console.error('Kith could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
