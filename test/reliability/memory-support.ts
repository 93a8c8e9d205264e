/**
 * What the memory tests (and `npm run soak`) measure with: a development tracer that keeps nothing (so whatever
 * stays alive is kept by someone else) and counts, through a FinalizationRegistry, the spans it started that are
 * still alive; a heap reading after the collector has settled; and the C6.84 runs, shared so the test and the
 * soak run the same code at different sizes. Needs `--expose-gc` (test/run.ts passes it).
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SpanOptions } from 'opentracing';
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import type { DevSpan } from '../../src/runtime/dev/span';
import { traceHandler } from '../../src/runtime/servers/http';
import { setTracer } from '../../src/runtime/tracer';
import { close, listen, until } from '../runtime/servers/helpers';

if (typeof global.gc !== 'function') throw new Error('memory tests need node --expose-gc');
const gc = global.gc;

export class CountingTracer extends DevTracer {
  started = 0;
  /** Spans finished (the first `finish` of each). */
  finished = 0;
  collected = 0;
  private readonly registry = new FinalizationRegistry<void>(() => void this.collected++);
  override startSpan(name: string, options?: SpanOptions): DevSpan {
    const span = super.startSpan(name, options);
    this.started++;
    this.registry.register(span);
    return span;
  }
  override report(span: DevSpan): void {
    this.finished++;
    super.report(span);
  }
  /** Spans started and not yet collected (call `settle()` first). */
  get alive(): number {
    return this.started - this.collected;
  }
}

/** Collects until finalization stops reporting (callbacks run after the collection that freed their objects). */
export async function settle(tracer?: CountingTracer): Promise<void> {
  let last = -1;
  for (let i = 0; i < 30; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = tracer?.collected ?? i;
    if (tracer !== undefined && now === last && i >= 3) return;
    last = now;
    if (tracer === undefined && i >= 3) return;
  }
}

/** heapUsed after settling, in bytes. */
export async function heapAfterGc(tracer?: CountingTracer): Promise<number> {
  await settle(tracer);
  return process.memoryUsage().heapUsed;
}

export const MiB = 1024 * 1024;

/**
 * Resolves once Node's Date-header cache has been emptied. The first response written after it empties fills it
 * and starts an unref'ed timer of at most 1,000 ms (`1000 - ms`, to the next second) that empties it again;
 * the timer is created in that response's async context, so until it fires it keeps that request's span. Timers
 * fire in order of expiry, so a 1,001 ms timer started after the last response was written fires after it.
 */
export function dateHeaderCacheEmptied(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1_001));
}

export interface NeverSettlingRun {
  /** Spans alive while the host still holds the promises the calls wait on: one per call. */
  readonly aliveWhileHeld: number;
  /** Spans alive once the host dropped them: 0. */
  readonly aliveAfter: number;
  readonly heapGrowth: number;
}

/**
 * C2.31 / C6.84: `count` traced calls (`call`) each awaiting a promise that never settles. The host holds the
 * promises (a pending request, a lock), so their spans are open and alive; then it drops them, and the calls'
 * own promises, and nothing may keep the spans.
 */
export async function neverSettling(tracer: CountingTracer, count: number, call: (pending: Promise<never>) => unknown): Promise<NeverSettlingRun> {
  const baseline = await heapAfterGc(tracer);
  const startedBefore = tracer.started;
  const held: Promise<never>[] = [];
  for (let i = 0; i < count; i++) {
    const never = new Promise<never>(() => {});
    held.push(never);
    void call(never);
  }
  await settle(tracer);
  const aliveWhileHeld = tracer.alive;
  if (tracer.started - startedBefore !== count) throw new Error(`${tracer.started - startedBefore} spans started for ${count} calls`);
  held.length = 0;
  const after = await heapAfterGc(tracer);
  return { aliveWhileHeld, aliveAfter: tracer.alive, heapGrowth: after - baseline };
}

/** What the client side of `abortedRequests` saw, in its worker thread (fixtures/aborting-client.ts). */
export interface ClientCounts {
  readonly started: number;
  readonly errors: number;
  readonly alive: number;
  /** Time the requests took, from the first to the last abort. */
  readonly ms: number;
}

export interface AbortedRun {
  readonly server: { readonly started: number; readonly finished: number; readonly aborted: number; readonly alive: number };
  readonly client: ClientCounts;
  readonly heapGrowth: number;
}

/**
 * C5.67 / C6.84: `count` requests to a traced node:http server whose handler writes a first chunk and holds the
 * response; the client destroys each at the first body byte, `parallel` at a time. The client runs in a worker
 * thread, through ts-traced's http client wrapper with a counting tracer of its own: its work goes to the other core,
 * and the heap read here is the server's alone. Spans are counted alive once every server span has finished (the
 * server saw every client leave), the server is closed and the Date-header cache has been emptied.
 */
export async function abortedRequests(count: number, parallel: number): Promise<AbortedRun> {
  const tracer = new CountingTracer();
  let aborted = 0;
  tracer.onFinish((span) => void (span.tags['http.aborted'] === true && span.tags.error === true && aborted++));
  setTracer(tracer);
  const server: Server = createServer(traceHandler((_req, res) => void res.write('holding')));
  try {
    const port = await listen(server);
    const baseline = await heapAfterGc(tracer);
    const client = await runWorker<ClientCounts>(join(__dirname, 'fixtures', 'aborting-client.ts'), { port, count, parallel });
    await until(() => tracer.finished === tracer.started, 10_000);
    await close(server);
    await dateHeaderCacheEmptied();
    const after = await heapAfterGc(tracer);
    return { server: { started: tracer.started, finished: tracer.finished, aborted, alive: tracer.alive }, client, heapGrowth: after - baseline };
  } finally {
    if (server.listening) await close(server);
    setTracer(undefined);
  }
}

/** Runs a TypeScript module in a worker thread (through tsx) and resolves the first message it posts. */
function runWorker<T>(file: string, data: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(`require('tsx/cjs'); require(require('node:worker_threads').workerData.file);`, {
      eval: true,
      workerData: { ...data, file },
    });
    worker.once('message', resolve).once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
  });
}
