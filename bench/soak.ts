/**
 * The long runs of the reliability checklist (RELIABILITY.md), at full size, bounded in time (about 3 minutes on
 * an idle 2-core machine):
 *
 *   npm run soak            (node --import tsx --expose-gc bench/soak.ts)
 *
 * 1. C6.77  1,000,000 sync traced calls, no tracer: heap after GC, sampled.
 * 2. C6.78  1,000,000 async traced calls, recorded by a tracer that keeps nothing: heap, spans still alive.
 * 3. C6.84  100,000 traced calls awaiting promises that never settle, then dropped: spans alive, heap.
 * 4. C6.79  100,000 keep-alive requests through the middleware: heap sampled, slope from 20,000 to 100,000.
 *    C6.82  10,000 requests on one keep-alive socket: listener counts. Spans alive once the server is closed.
 * 5. C6.84  100,000 requests whose client (the http client wrapper, in a worker thread) leaves mid-response:
 *    server and client spans finished, marked, and alive once the server is closed; heap.
 * 6. C4.64  60 s of loopback load (middleware + client wrapper) with an OTLP endpoint that refuses connections.
 *
 * Prints each figure and its bound, and each part's time; exits 1 when a bound is exceeded. The same checks,
 * scaled down, run in test/reliability (memory.test.ts, tracer-faults-async.test.ts) under `npm test`.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { traceHandler } from '../src/runtime/servers/http';
import { setTracer } from '../src/runtime/tracer';
import { close, listen } from '../test/runtime/servers/helpers';
import { abortedRequests, CountingTracer, dateHeaderCacheEmptied, heapAfterGc, MiB, neverSettling } from '../test/reliability/memory-support';
import { runExporterChild } from '../test/reliability/exporter-run';
import { buildPair } from '../test/reliability/support';
import { EXPORTS_IN_FLIGHT } from '../src/runtime/setup/otel-pipeline';

type Memory = typeof import('../test/reliability/fixtures/memory');
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

async function neverSettlingCalls(): Promise<void> {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  const run = await neverSettling(tracer, 100_000, (pending) => m.neverSettles(pending));
  setTracer(undefined);
  check('C6.84 100,000 calls awaiting never-settling promises: spans alive while held = 100,000', run.aliveWhileHeld === 100_000, `${run.aliveWhileHeld}`);
  check('C6.84 spans alive once the promises are dropped = 0', run.aliveAfter === 0, `${run.aliveAfter} of ${tracer.started}`);
  check('C6.84 heap growth ≤ 2 MiB', run.heapGrowth <= 2 * MiB, kib(run.heapGrowth));
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
  const server = createServer(traceHandler((req: IncomingMessage, res: ServerResponse) => void m.handle(req.url!.slice(1)).then((body) => res.end(body))));
  const port = await listen(server);

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
  // Once: a listener left on would take every later connection too, and a socket held keeps its last
  // response, request and span alive.
  server.once('connection', (s: Socket) => (socket = s));
  const counts = () => socket!.eventNames().map((e) => `${String(e)}=${socket!.listenerCount(e)}`).sort().join(' ');
  await get(port, '/first', single);
  const early = counts();
  for (let i = 0; i < 10_000; i++) await get(port, `/${i}`, single);
  single.destroy();
  check('C6.82 10,000 requests on one socket: listener counts unchanged', counts() === early, counts());
  socket = undefined; // held only for the counts: let it (and its last request's context) go

  await close(server);
  await dateHeaderCacheEmptied();
  await heapAfterGc(tracer);
  setTracer(undefined);
  check('C6.79/C6.82 spans alive once the server is closed = 0', tracer.alive === 0, `${tracer.alive} of ${tracer.started}`);
}

async function abortedMidResponse(): Promise<void> {
  const run = await abortedRequests(100_000, 50);
  const { server, client } = run;
  console.log(`     100,000 aborted requests in ${(client.ms / 1000).toFixed(1)} s (${((100_000 / client.ms) * 1000).toFixed(0)}/s), 50 at a time`);
  check('C5.67/C6.84 100,000 aborted requests: server spans started, finished, marked aborted', server.started === 100_000 && server.finished === 100_000 && server.aborted === 100_000, `${server.started}, ${server.finished}, ${server.aborted}`);
  check('C6.84 server spans alive once the server is closed = 0', server.alive === 0, `${server.alive} of ${server.started}`);
  check('C5.66/C6.84 client spans (http client wrapper) started, finished with an error', client.started === 100_000 && client.errors === 100_000, `${client.started}, ${client.errors}`);
  check('C6.84 client spans alive afterwards = 0', client.alive === 0, `${client.alive} of ${client.started}`);
  check('C6.84 server heap growth over 100,000 aborted requests ≤ 2 MiB', run.heapGrowth <= 2 * MiB, kib(run.heapGrowth));
}

async function exporterDown(seconds: number): Promise<void> {
  const { status, run } = await runExporterChild(seconds, { OTEL_BSP_MAX_QUEUE_SIZE: '2048', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512' });
  console.log(`     ${run.requests} requests in ${seconds} s, ${run.registered} spans; heap MiB per second: ${(run.heap ?? []).map(mib).join(' ')}`);
  check('C4.64 exit code 0, no unhandled rejection or uncaught exception', status === 0 && run.unhandled === 0 && run.uncaught === 0, `exit ${status}`);
  check('C4.64 every reply as expected', run.mismatches === 0, `${run.mismatches} mismatches`);
  check(`C4.64 spans held at the end ≤ queue 2048 + ${EXPORTS_IN_FLIGHT} batches of 512`, run.retained <= 2048 + EXPORTS_IN_FLIGHT * 512 + 32, `${run.retained}`);
  const growth = run.heap.at(-1)! - run.heap[5];
  check('C4.64 heap growth from second 5 to the end < 4 MiB', growth < 4 * MiB, kib(growth));
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`soak on Node ${process.versions.node}, ${new Date().toISOString()}`);
  const parts: [string, () => Promise<void>][] = [
    ['sync calls', syncCalls],
    ['async calls', asyncCalls],
    ['never-settling calls', neverSettlingCalls],
    ['keep-alive requests', requests],
    ['aborted requests', abortedMidResponse],
    ['exporter down', () => exporterDown(60)],
  ];
  for (const [name, run] of parts) {
    const partStarted = Date.now();
    await run();
    console.log(`     (${name}: ${((Date.now() - partStarted) / 1000).toFixed(0)} s)`);
  }
  console.log(`${failed === 0 ? 'all bounds held' : `${failed} bound(s) exceeded`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
