/**
 * C6 (and C2.31): nothing ts-traced creates outlives its call. Heaps are read after the collector settles;
 * spans are counted alive through a FinalizationRegistry (memory-support.ts). Iteration counts are scaled down
 * to keep the file well under a minute, as each title says; `npm run soak` runs the full sizes.
 */
import { spawnSync } from 'node:child_process';
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { traceHandler } from '../../src/runtime/servers/http';
import { setTracer } from '../../src/runtime/tracer';
import { ROOT } from '../helpers/compile';
import { abortedRequests, CountingTracer, heapAfterGc, MiB, neverSettling, settle } from './memory-support';
import { buildPair, EscapeWatch, FIXTURES } from './support';

type Memory = typeof import('./fixtures/memory');
type Capture = typeof import('./fixtures/capture');
const memory = buildPair<Memory>('memory', 'memory.ts');
const capture = buildPair<Capture>('capture', 'capture.ts', {}, { lib: ['ES2022', 'esnext.decorators'] });

const calls = suite('C6 traced calls');
calls('C6.77 200,000 sync calls with no tracer (1e6: npm run soak): heap after GC within +1 MiB of baseline', async () => {
  setTracer(undefined);
  const m = memory.traced();
  let sum = 0;
  // A leak of even 6 bytes a call grows the heap by over 1 MiB in every run of 200,000. A one-off allocation
  // elsewhere in the process (a late optimised compile on a busy machine, a loader's cache) shows in one run
  // only, so the figure is the quietest of three runs, after a warm-up as long as one.
  for (let i = 0; i < 200_000; i++) sum += m.syncWork(i);
  const heaps = [await heapAfterGc()];
  for (let run = 0; run < 3; run++) {
    for (let i = 0; i < 200_000; i++) sum += m.syncWork(i);
    heaps.push(await heapAfterGc());
  }
  assert.ok(sum > 0);
  const growths = heaps.slice(1).map((heap, i) => heap - heaps[i]);
  const kib = growths.map((g) => `${(g / 1024).toFixed(0)} KiB`).join(', ');
  assert.ok(Math.min(...growths) < 1 * MiB, `~> heap grew by ${kib} in three runs`);
});
calls('C6.78 100,000 async calls recorded by a tracer that keeps nothing (1e6: npm run soak): 0 spans retained, heap +≤ 5 MiB', async () => {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  for (let i = 0; i < 1_000; i++) await m.asyncWork(i);
  const baseline = await heapAfterGc(tracer);
  for (let i = 0; i < 100_000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => m.asyncWork(i + j)));
  const after = await heapAfterGc(tracer);
  setTracer(undefined);
  assert.is(tracer.started, 101_000);
  assert.is(tracer.alive, 0, `~> ${tracer.alive} spans still alive`);
  assert.ok(after - baseline < 5 * MiB, `~> heap grew ${((after - baseline) / 1024).toFixed(0)} KiB`);
});
calls('C2.31 / C6.84 20,000 calls awaiting promises that never settle (100,000: npm run soak): once dropped, 0 spans retained, heap within +2 MiB', async () => {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  const run = await neverSettling(tracer, 20_000, (pending) => m.neverSettles(pending));
  setTracer(undefined);
  assert.is(run.aliveWhileHeld, 20_000, '~> while the host holds what the calls wait on, their spans are open');
  assert.is(run.aliveAfter, 0, `~> ${run.aliveAfter} spans still alive once the host dropped them`);
  assert.ok(run.heapGrowth < 2 * MiB, `~> heap grew ${(run.heapGrowth / 1024).toFixed(0)} KiB`);
});
calls('C6.81 a 10 MB Buffer passed to a traced function is collected after the call (argument capture off and on)', async () => {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  const captured = new (capture.traced().Capture)();
  const refs: WeakRef<Buffer>[] = [];
  (() => {
    const a = Buffer.alloc(10 * MiB, 1);
    const b = Buffer.alloc(10 * MiB, 2);
    assert.is(m.measure(a), 10 * MiB);
    assert.is(captured.take(b), 'object');
    refs.push(new WeakRef(a), new WeakRef(b));
  })();
  await settle(tracer);
  setTracer(undefined);
  assert.is(refs[0].deref(), undefined, '~> capture off: the buffer is gone');
  assert.is(refs[1].deref(), undefined, '~> capture on: the buffer is gone (the tag is a short text)');
});
calls.run();

/** A traced node:http server: `/work/<id>` runs the traced handler; `/hang` answers only when the client leaves. */
async function startServer(m: Memory, perRequest?: (req: IncomingMessage) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(
    traceHandler((req: IncomingMessage, res: ServerResponse) => {
      perRequest?.(req);
      if (req.url === '/hang') return void res.write('holding');
      m.handle(req.url!.slice(6)).then((body) => res.end(body));
    }),
  );
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
    });
    req.on('error', reject).end();
  });
}

async function stop(server: Server, agent: Agent): Promise<void> {
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const servers = suite('C6 server middleware');
servers('C6.79 12,000 keep-alive requests through the middleware (100,000: npm run soak): heap slope from 3,000 to 12,000 < 100 bytes/request', async () => {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  const { server, port } = await startServer(m);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const run = async (from: number, to: number) => {
    for (let i = from; i < to; i += 8) await Promise.all(Array.from({ length: 8 }, (_, j) => get(port, `/work/${i + j}`, agent)));
  };
  try {
    await run(0, 3_000);
    const early = await heapAfterGc(tracer);
    await run(3_000, 12_000);
    const late = await heapAfterGc(tracer);
    const slope = (late - early) / 9_000;
    assert.ok(slope < 100, `~> ${slope.toFixed(1)} bytes per request`);
    // At most one per keep-alive connection (its last request's context) and one for Node's Date-header timer.
    assert.ok(tracer.alive <= 8 + 1, `~> ${tracer.alive} spans alive after the requests`);
  } finally {
    await stop(server, agent);
    setTracer(undefined);
  }
});
servers('C6.80 a never-released AsyncResource and emitter listener per 1,000 requests: spans of the other requests are collected', async () => {
  const tracer = new CountingTracer();
  setTracer(tracer);
  const m = memory.traced();
  const leaked: AsyncResource[] = [];
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  let n = 0;
  const { server, port } = await startServer(m, () => {
    if (++n % 1_000 !== 0) return;
    leaked.push(new AsyncResource('host-resource'));
    bus.on('tick', () => undefined);
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  try {
    for (let i = 0; i < 10_000; i += 8) await Promise.all(Array.from({ length: 8 }, (_, j) => get(port, `/work/${i + j}`, agent)));
    await settle(tracer);
    assert.is(leaked.length, 10);
    assert.ok(tracer.started >= 20_000, `~> ${tracer.started} spans (request + handler)`);
    assert.ok(tracer.alive <= leaked.length * 2 + 8, `~> ${tracer.alive} spans alive: only those the host's resources hold`);
  } finally {
    await stop(server, agent);
    setTracer(undefined);
  }
});
servers('C6.82 2,000 requests on one keep-alive socket (10,000: npm run soak): listener counts stay constant, no MaxListenersExceededWarning', async () => {
  setTracer(new CountingTracer());
  const m = memory.traced();
  const { server, port } = await startServer(m);
  let socket: Socket | undefined;
  server.on('connection', (s: Socket) => (socket ??= s));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const watch = new EscapeWatch();
  const counts = () => socket!.eventNames().map((e) => `${String(e)}=${socket!.listenerCount(e)}`).sort().join(' ');
  try {
    for (let i = 0; i < 10; i++) await get(port, `/work/${i}`, agent);
    const early = counts();
    for (let i = 10; i < 2_000; i++) await get(port, `/work/${i}`, agent);
    assert.is(counts(), early, '~> the same listeners on the socket after 2,000 requests');
    assert.is(server.listenerCount('connection'), 2);
  } finally {
    watch.stop();
    await stop(server, agent);
    setTracer(undefined);
  }
  assert.equal(watch.warnings.map(String), [], '~> no warning');
});
servers('C5.67 / C6.84 2,000 requests whose client goes away mid-response (100,000: npm run soak): each server span finished, marked aborted; 0 spans retained, server or client side, once the server is closed', async () => {
  const run = await abortedRequests(2_000, 20);
  assert.equal(run.server, { started: 2_000, finished: 2_000, aborted: 2_000, alive: 0 }, '~> server spans');
  const { started, errors, alive } = run.client;
  assert.equal({ started, errors, alive }, { started: 2_000, errors: 2_000, alive: 0 }, '~> client spans (http client wrapper)');
});
servers.run();

const exit = suite('C6.83 process exit');
exit('C6.83 a script that calls traced functions exits within 100 ms of its last statement and leaves no handle of ts-traced', () => {
  for (const tracer of ['none', 'dev', 'file'] as const) {
    const out = spawnSync(process.execPath, ['--import', 'tsx', join(FIXTURES, 'exit-child.ts'), memory.tracedDir, tracer], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      // tsx's disk cache writes its transforms asynchronously (FSReqPromise handles on a cold cache): off, so
      // every handle left is one the script or ts-traced made.
      env: { ...process.env, TSX_DISABLE_CACHE: '1', TRACED_TEST_FILE: join(memory.tracedDir, 'exit-spans.jsonl') },
    });
    assert.is(out.status, 0, `~> ${tracer}: exit code 0 (${out.stderr.slice(0, 300)})`);
    const report = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { before: string[]; after: string[]; exitMs: number; result: number };
    assert.is(report.result, 83, `~> ${tracer}: the traced code ran`);
    assert.equal(report.after, report.before, `~> ${tracer}: process.getActiveResourcesInfo() unchanged by ts-traced`);
    assert.ok(report.exitMs < 100, `~> ${tracer}: exited ${report.exitMs.toFixed(1)} ms after its last statement`);
  }
});
exit.run();
