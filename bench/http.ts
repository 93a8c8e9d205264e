/**
 * HTTP service throughput: the express app of fixtures/app.ts (three traced functions and one Redis GET per
 * request) under autocannon on loopback, uninstrumented, with ts-traced, with OpenTelemetry's auto-instrumentation
 * (http, express, ioredis) and with dd-trace. Requests/s, p99 latency, RSS, and ratios to the uninstrumented run.
 *
 *   npx tsx bench/http.ts [--quick] [--node 20,22,24]
 *
 * Needs Redis on 127.0.0.1:6379 (REDIS_HOST/REDIS_PORT). Each repetition starts a fresh server process; the
 * repetitions go round the cases, so a busy moment on the machine is shared among them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { median, outRequire } from './lib/measure';
import { compileFixture, OUT_DIR, preparePackage } from './lib/prepare';
import { describeMachine, fixed, nodeBinary, nodeVersion, quick, ratio, requestedNodes, table, writeResults } from './lib/report';

const ALL_CASES = ['uninstrumented', 'AsyncLocalStorage only', 'ts-traced', 'OpenTelemetry', 'dd-trace'] as const;
type Case = (typeof ALL_CASES)[number];
/** The AsyncLocalStorage floor is left out of a quick run. */
const CASES = ALL_CASES.filter((c) => !quick || c !== 'AsyncLocalStorage only');
const DURATION = quick ? 3 : 10;
const REPS = quick ? 1 : 3;
const CONNECTIONS = 10;
const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };

interface Run {
  readonly requests: number;
  readonly p99: number;
  readonly rssMiB: number;
  /** Server CPU time per request, µs: what the instrumentation costs, whatever else the machine is doing. */
  readonly cpuMicros: number;
  readonly errors: number;
  readonly spans: number;
}

const autocannon = outRequire('autocannon') as (options: object) => Promise<any>;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 }, () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false)).on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** A loopback port nothing listens on (taken and released), for dd-trace's agent. */
function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** dd-trace sends to its agent only; everything else it could start is off. */
const DD_ENV = {
  DD_TRACE_STARTUP_LOGS: 'false',
  DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
  DD_REMOTE_CONFIGURATION_ENABLED: 'false',
  DD_RUNTIME_METRICS_ENABLED: 'false',
  DD_PROFILING_ENABLED: 'false',
  DD_APPSEC_ENABLED: 'false',
  DD_IAST_ENABLED: 'false',
  DD_CRASHTRACKING_ENABLED: 'false',
  DD_DATA_STREAMS_ENABLED: 'false',
  DD_TRACE_STATS_COMPUTATION_ENABLED: 'false',
};

interface Stats {
  readonly rss: number;
  readonly spans: number;
  readonly cpuMicros: number;
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(message);
  });
}

async function runOnce(node: string, kind: Case): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_HOST: REDIS.host, REDIS_PORT: String(REDIS.port) };
  if (kind === 'dd-trace') Object.assign(env, DD_ENV, { TRACED_BENCH_DD_PORT: String(await unusedPort()) });
  const child = fork(join(OUT_DIR, 'server.js'), [kind], { execPath: node, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number }));
      child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}/orders/7`;
    const requests = [{ setupRequest: (r: { path: string }) => ({ ...r, path: `/orders/${Math.floor(Math.random() * 100)}` }) }];
    await autocannon({ url, connections: CONNECTIONS, duration: 1, requests }); // warm-up
    const start = await ask<Stats>(child, 'stats');
    const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, requests });
    const stats = await ask<Stats>(child, 'stats');
    return {
      requests: result.requests.average,
      p99: result.latency.p99,
      rssMiB: stats.rss / 2 ** 20,
      cpuMicros: (stats.cpuMicros - start.cpuMicros) / result.requests.total,
      errors: result.errors + result.non2xx,
      spans: stats.spans,
    };
  } finally {
    child.send('stop');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill();
  }
}

async function runOn(major: string) {
  const node = nodeBinary(major);
  if (node === undefined) {
    console.log(`\nNode ${major}: no binary (npm ci --prefix compat/node${major}); skipped`);
    return undefined;
  }
  const runs = Object.fromEntries(CASES.map((c) => [c, [] as Run[]])) as Record<Case, Run[]>;
  for (let r = 0; r < REPS; r++) for (const kind of CASES) runs[kind].push(await runOnce(node, kind));
  const med = (kind: Case, key: keyof Run) => median(runs[kind].map((run) => run[key]));
  const base = {
    requests: med('uninstrumented', 'requests'),
    rss: med('uninstrumented', 'rssMiB'),
    cpu: med('uninstrumented', 'cpuMicros'),
  };
  const rows = CASES.map((kind) => ({
    kind,
    requests: med(kind, 'requests'),
    p99: med(kind, 'p99'),
    rssMiB: med(kind, 'rssMiB'),
    cpuMicros: med(kind, 'cpuMicros'),
    errors: runs[kind].reduce((n, run) => n + run.errors, 0),
    spans: med(kind, 'spans'),
  }));
  const version = nodeVersion(node);
  console.log(`\nHTTP on Node ${version}: ${CONNECTIONS} connections, ${DURATION} s, median of ${REPS} (requests/s; p99 ms; RSS MiB after the run; server CPU µs per request)`);
  console.log(
    table(
      ['case', 'req/s', '× uninstr.', 'p99 ms', 'RSS MiB', 'Δ RSS', 'CPU µs/req', '× uninstr.', 'errors'],
      rows.map((row) => [
        row.kind,
        fixed(row.requests, 0),
        ratio(row.requests / base.requests),
        fixed(row.p99, 0),
        fixed(row.rssMiB, 0),
        `${row.rssMiB - base.rss >= 0 ? '+' : ''}${fixed(row.rssMiB - base.rss, 0)}`,
        fixed(row.cpuMicros, 0),
        ratio(row.cpuMicros / base.cpu),
        String(row.errors),
      ]),
    ),
  );
  return { version, rows, runs };
}

async function main() {
  if (!(await reachable(REDIS.host, REDIS.port))) {
    console.log(`http: Redis is not reachable at ${REDIS.host}:${REDIS.port}; skipped (start redis-server, or set REDIS_HOST/REDIS_PORT)`);
    return;
  }
  preparePackage(console.log);
  compileFixture('app');
  compileFixture('server');
  console.log(`http${quick ? ' (quick)' : ''}: ${describeMachine()}`);
  const results: Record<string, unknown> = {};
  for (const major of requestedNodes(quick ? undefined : ['20', '22', '24'])) results[`node${major}`] = await runOn(major);
  console.log(`\nwrote ${writeResults('http', { connections: CONNECTIONS, durationSeconds: DURATION, repetitions: REPS, results })}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
