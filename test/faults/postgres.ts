import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface Cluster {
  version: string;
  name: string;
  port: number;
}

/**
 * The Debian cluster (`pg_lsclusters`) serving the PostgreSQL at `url`, found by its port, so
 * the test stops the server its database lives on; `<version>/main` when none matches.
 */
export async function clusterFor(url: string): Promise<Cluster> {
  const port = Number(new URL(url).port || 5432);
  const { stdout } = await run('pg_lsclusters', ['--no-header']).catch(() => ({ stdout: '' }));
  for (const line of stdout.split('\n')) {
    const [version, name, p] = line.trim().split(/\s+/);
    if (version && name && Number(p) === port) return { version, name, port };
  }
  const [version] = readdirSync('/etc/postgresql');
  if (!version) throw new Error('No PostgreSQL cluster under /etc/postgresql to restart.');
  return { version, name: 'main', port };
}

/** `pg_ctlcluster` stop/start/restart (as root, without systemd, as in CI). */
export async function pgCtl(cluster: Cluster, action: 'stop' | 'start' | 'restart') {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, action], {
    timeout: 60_000,
  });
}

/** Whether a fresh connection to `url` can run a query now. */
export async function accepting(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts the cluster if it is down and waits until it accepts connections. */
export async function ensureRunning(cluster: Cluster, url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  if (await accepting(url)) return;
  // "already running" is fine; a real failure shows as the wait below running out.
  await pgCtl(cluster, 'start').catch(() => {});
  while (!(await accepting(url))) {
    if (Date.now() > deadline)
      throw new Error(
        `PostgreSQL ${cluster.version}/${cluster.name} does not accept connections after ${timeoutMs} ms; start it with: pg_ctlcluster --skip-systemctl-redirect ${cluster.version} ${cluster.name} start`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
