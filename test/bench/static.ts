/**
 * Static files: requests per second for `/widgets/kith.js` (brotli) through the widget routes,
 * which serve built files with sirv (a stat per request, the precompressed file streamed from
 * disk), against a baseline in the same run: the same bytes answered from memory by a bare
 * handler, the most any file server could do on this machine.
 *
 *   npm run bench -- static [--requests 4000] [--concurrency 8]
 *
 * Figures go to bench-results/static.json.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { widgetRoutes } from '../../server/widgets-routes';
import { buildWidgets, repoRoot } from '../../widgets/build';

interface Options {
  requests: number;
  concurrency: number;
}

function parse(argv: string[]): Options {
  const options: Options = { requests: 4000, concurrency: 8 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '') as keyof Options;
    const n = Number(argv[i + 1]);
    if (!(key in options) || !Number.isInteger(n) || n < 1)
      throw new Error('usage: npm run bench -- static [--requests N] [--concurrency N]');
    options[key] = n;
  }
  return options;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

async function measure(handler: Handler, options: Options) {
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: '/widgets/kith.js',
            agent,
            headers: { 'accept-encoding': 'br' },
          },
          (res) => {
            if (res.statusCode !== 200 || res.headers['content-encoding'] !== 'br')
              reject(new Error(`unexpected answer ${res.statusCode}`));
            res.resume().on('end', resolve);
          },
        )
        .on('error', reject);
    });
  const batch = async (n: number) =>
    Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let i = 0; i < n / options.concurrency; i++) await one();
      }),
    );
  await batch(Math.min(400, options.requests)); // warm-up
  const started = performance.now();
  await batch(options.requests);
  const ms = performance.now() - started;
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  return {
    perSecond: Math.round(options.requests / (ms / 1000)),
    microsEach: (ms * 1000) / options.requests,
  };
}

export async function runStaticBench(argv: string[]) {
  const options = parse(argv);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kith-static-bench-'));
  try {
    await buildWidgets(path.join(dir, 'widgets'));
    const brotli = await readFile(path.join(dir, 'widgets/kith.js.br'));
    const routes = widgetRoutes({ db: null, env: {}, log: console } as never, {
      widgetsDir: path.join(dir, 'widgets'),
      pagesDir: path.join(dir, 'none'),
    });
    const sirv: Handler = async (req, res) => {
      if (!(await routes(req, res, new URL(req.url ?? '/', 'http://localhost'))))
        res.writeHead(404).end();
    };
    const memory: Handler = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/javascript; charset=utf-8',
        'content-encoding': 'br',
        'content-length': String(brotli.length),
      });
      res.end(brotli);
    };
    const baseline = await measure(memory, options);
    const served = await measure(sirv, options);
    const result = {
      options,
      baseline: { label: 'bytes from memory (bare handler)', ...baseline },
      sirv: { label: 'widget routes (sirv, stat per request)', ...served },
      ratio: baseline.perSecond / served.perSecond,
    };
    for (const r of [result.baseline, result.sirv])
      console.log(`${r.label}: ${r.perSecond} req/s, ${r.microsEach.toFixed(0)} µs each`);
    console.log(`baseline / sirv: ${result.ratio.toFixed(2)}×`);
    await mkdir(path.join(repoRoot, 'bench-results'), { recursive: true });
    await writeFile(
      path.join(repoRoot, 'bench-results/static.json'),
      JSON.stringify(result, null, 2),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
