/**
 * The long runs of the reliability checklist (RELIABILITY.md), at full size, bounded in time (about 3 minutes):
 *
 *   npm run soak            (node --import tsx --expose-gc bench/soak.ts)
 *
 * 1. C6.77  1,000,000 sync traced calls, no tracer: heap after GC, sampled.
 * 2. C6.78  1,000,000 async traced calls, recorded by a tracer that keeps nothing: heap, spans still alive.
 * 3. C6.79  100,000 keep-alive requests through the middleware: heap sampled, slope from 20,000 to 100,000.
 *    C6.82  10,000 requests on one keep-alive socket: listener counts.   C5.67/C6.84  1,000 aborted requests.
 * 4. C4.64  60 s of loopback load (middleware + client wrapper) with an OTLP endpoint that refuses connections.
 *
 * Prints each figure and its bound; exits 1 when one is exceeded. The same checks, scaled down, run in
 * test/reliability (memory.test.ts, tracer-faults-async.test.ts) under `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { traceHandler } from '../src/runtime/servers/http';
import { setTracer } from '../src/runtime/tracer';
import { closedPort } from '../test/helpers/closed-port';
import { CountingTracer, heapAfterGc, MiB } from '../test/reliability/memory-support';
import { buildPair, FIXTURES } from '../test/reliability/support';
import { EXPORTS_IN_FLIGHT } from '../src/runtime/setup/otel-pipeline';

type Memory = typeof import('../test/reliability/fixtures/memory');
const ROOT = join(__dirname, '..');
const memory = buildPair<Memory>('soak-memory', 'memory.ts');

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)}`;
let failed = 0;
function check(label: string, ok: boolean, figure: string): void {
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: ${figure}`);
}

async function syncCalls(): Promise<void> {
  setTracer(undefined);
  const m = memory.traced();
  for (let i = 0; i < 10_000; i++) m.syncWork(i);
  const base = await heapAfterGc();
  const samples: string[] = [];
  for (let round = 1; round <= 5; round++) {
    for (let i = 0; i < 200_000; i++) m.syncWork(i);
    samples.push(mib(await heapAfterGc()));
  }
  const growth = (await heapAfterGc()) - base;
  console.log(`     heap MiB every 200,000 calls: ${samples.join(' ')}`);
  check('C6.77 1,000,000 sync calls, no tracer: heap growth ≤ 1 MiB', growth <= MiB, kib(growth));
}

async function asyncCalls(): Promise<void> {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  for (let i = 0; i < 1_000; i++) await m.asyncWork(i);
  const base = await heapAfterGc(tracer);
  const samples: string[] = [];
  for (let round = 1; round <= 5; round++) {
    for (let i = 0; i < 200_000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => m.asyncWork(i + j)));
    samples.push(mib(await heapAfterGc(tracer)));
  }
  const growth = (await heapAfterGc(tracer)) - base;
  setTracer(undefined);
  console.log(`     heap MiB every 200,000 calls: ${samples.join(' ')}`);
  check('C6.78 1,000,000 async calls, recording: heap growth ≤ 5 MiB', growth <= 5 * MiB, kib(growth));
  check('C6.78 spans alive afterwards = 0', tracer.alive === 0, `${tracer.alive} of ${tracer.started}`);
}

function get(port: number, path: string, agent: Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
  });
}

async function requests(): Promise<void> {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  const server = createServer(
    traceHandler((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/hang') return void res.write('holding');
      m.handle(req.url!.slice(1)).then((body) => res.end(body));
    }),
  );
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const heap: number[] = [];
  for (let done = 0; done < 100_000; ) {
    await Promise.all(Array.from({ length: 8 }, (_, j) => get(port, `/${done + j}`, agent)));
    done += 8;
    if (done % 20_000 === 0) heap.push(await heapAfterGc(tracer));
  }
  agent.destroy();
  const slope = (heap[4] - heap[0]) / 80_000;
  console.log(`     heap MiB every 20,000 requests: ${heap.map(mib).join(' ')}`);
  check('C6.79 100,000 keep-alive requests: heap slope 20k→100k < 100 bytes/request', slope < 100, `${slope.toFixed(1)} bytes/request`);

  const single = new Agent({ keepAlive: true, maxSockets: 1 });
  let socket: Socket | undefined;
  // Once: a listener left on would take the next connection too (the first aborted request's), and that
  // socket keeps its response, request and span.
  server.once('connection', (s: Socket) => (socket = s));
  const counts = () => socket!.eventNames().map((e) => `${String(e)}=${socket!.listenerCount(e)}`).sort().join(' ');
  await get(port, '/first', single);
  const early = counts();
  for (let i = 0; i < 10_000; i++) await get(port, `/${i}`, single);
  single.destroy();
  check('C6.82 10,000 requests on one socket: listener counts unchanged', counts() === early, counts());
  socket = undefined; // held only for the counts: let it (and its last request's context) go

  const before = tracer.started;
  for (let i = 0; i < 1_000; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        new Promise<void>((resolve) => {
          const req = request({ host: '127.0.0.1', port, path: '/hang', agent: false }, (res) => res.once('data', () => (req.destroy(), resolve())));
          req.on('error', () => resolve()).end();
        }),
      ),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // Node's Date-header timer holds the last context
  await heapAfterGc(tracer);
  check('C5.67/C6.84 1,000 aborted requests: spans started', tracer.started - before === 1_000, `${tracer.started - before}`);
  check('C6.84 spans alive after everything = 0', tracer.alive === 0, `${tracer.alive} of ${tracer.started}`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  setTracer(undefined);
}

async function exporterDown(seconds: number): Promise<void> {
  const port = await closedPort();
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', '--unhandled-rejections=strict', join(FIXTURES, 'exporter-child.ts'), String(seconds)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
    env: {
      ...process.env,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      OTEL_BSP_MAX_QUEUE_SIZE: '2048',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
      TRACED_CLIENTS: 'none',
    },
  });
  const run = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number> & { heap: number[] };
  console.log(`     ${run.requests} requests in ${seconds} s, ${run.registered} spans; heap MiB per second: ${(run.heap ?? []).map(mib).join(' ')}`);
  check('C4.64 exit code 0, no unhandled rejection or uncaught exception', out.status === 0 && run.unhandled === 0 && run.uncaught === 0, `exit ${out.status}`);
  check('C4.64 every reply as expected', run.mismatches === 0, `${run.mismatches} mismatches`);
  check(`C4.64 spans held at the end ≤ queue 2048 + ${EXPORTS_IN_FLIGHT} batches of 512`, run.retained <= 2048 + EXPORTS_IN_FLIGHT * 512 + 32, `${run.retained}`);
  const growth = run.heap.at(-1)! - run.heap[5];
  check('C4.64 heap growth from second 5 to the end < 4 MiB', growth < 4 * MiB, kib(growth));
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`soak on Node ${process.versions.node}, ${new Date().toISOString()}`);
  await syncCalls();
  await asyncCalls();
  await requests();
  await exporterDown(60);
  console.log(`${failed === 0 ? 'all bounds held' : `${failed} bound(s) exceeded`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
