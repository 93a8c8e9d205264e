/**
 * One case of the per-call benchmark, in a process of its own: `calls.ts <case> [--quick]`. Prints one JSON line:
 * ns/call samples per function kind, and for the untraced cases the heap over 1e7 calls.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { outRequire, packageRequire, reply, sample } from '../lib/measure';

type Fn = (n: number) => any;
interface Functions {
  readonly syncTrivial: Fn;
  readonly asyncTrivial: Fn;
  readonly generatorTrivial: Fn;
  readonly syncMicro: Fn;
}

const calls = () => outRequire('./calls.traced.js');
const byHand = () => outRequire('./by-hand.js');
const prefixed = (m: Record<string, Fn>, prefix: string): Functions => ({
  syncTrivial: m[`${prefix}SyncTrivial`],
  asyncTrivial: m[`${prefix}AsyncTrivial`],
  generatorTrivial: m[`${prefix}GeneratorTrivial`],
  syncMicro: m[`${prefix}SyncMicro`],
});

const noopProcessor = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
function otelProvider() {
  const { BasicTracerProvider } = packageRequire('@opentelemetry/sdk-trace-base');
  return new BasicTracerProvider({ spanProcessors: [noopProcessor] });
}
function devTracer() {
  const { DevTracer } = packageRequire('ts-traced/dev');
  const tracer = new DevTracer();
  tracer.onFinish(() => {});
  return tracer;
}

/** Each case sets up its tracer and returns the four functions to call. */
export const CASES: Record<string, () => Functions> = {
  bare: () => outRequire('./calls.js'),
  'ts-traced, no tracer': calls,
  'no-op OpenTracing tracer by hand': () => {
    byHand().useTracer(new (packageRequire('opentracing').Tracer)());
    return prefixed(byHand(), 'noop');
  },
  'ts-traced, DevTracer': () => {
    packageRequire('ts-traced').setTracer(devTracer());
    return calls();
  },
  'by hand, DevTracer + ALS.run': () => {
    byHand().useTracer(devTracer());
    return prefixed(byHand(), 'active');
  },
  'OTel startActiveSpan, SDK': () => {
    const api = packageRequire('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = packageRequire('@opentelemetry/context-async-hooks');
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    byHand().useOtel(otelProvider().getTracer('bench'), api);
    return prefixed(byHand(), 'otel');
  },
  'OTel startActiveSpan, no provider': () => {
    const api = packageRequire('@opentelemetry/api');
    byHand().useOtel(api.trace.getTracer('bench'), api);
    return prefixed(byHand(), 'otel');
  },
  'ts-traced via OTel bridge, SDK': () => {
    packageRequire('ts-traced/otel').useOpenTelemetry({ tracerProvider: otelProvider() });
    return calls();
  },
  'AsyncLocalStorage.run alone': () => prefixed(byHand(), 'als'),
};

let sink = 0;

/** One loop per function, so each call site sees one target (as in an application) and can be inlined. */
function loops(f: Functions): Record<keyof Functions, (count: number) => unknown> {
  const { syncTrivial, asyncTrivial, generatorTrivial, syncMicro } = f;
  return {
    syncTrivial(count) {
      for (let i = 0; i < count; i++) sink ^= syncTrivial(i);
    },
    async asyncTrivial(count) {
      for (let i = 0; i < count; i++) sink ^= await asyncTrivial(i);
    },
    generatorTrivial(count) {
      for (let i = 0; i < count; i++) for (const v of generatorTrivial(i)) sink ^= v;
    },
    syncMicro(count) {
      for (let i = 0; i < count; i++) sink ^= syncMicro(i);
    },
  };
}

/** Heap used and collections over `count` calls: no collection and a flat heap mean no allocation per call. */
function heapOver(fn: Fn, count: number) {
  let collections = 0;
  const observer = new PerformanceObserver((list) => (collections += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) sink ^= fn(i);
  const after = process.memoryUsage().heapUsed;
  return new Promise<{ calls: number; heapDelta: number; collections: number }>((resolve) =>
    setImmediate(() => {
      observer.disconnect();
      resolve({ calls: count, heapDelta: after - before, collections });
    }),
  );
}

async function main() {
  const name = process.argv[2];
  const quick = process.argv.includes('--quick');
  const fns = CASES[name]();
  const run = loops(fns);
  const reps = quick ? 5 : 9;
  const repNs = quick ? 10e6 : 60e6;
  const ns = await sample(run, reps, repNs);
  const heap = name === 'bare' || name === 'ts-traced, no tracer' ? await heapOver(fns.syncTrivial, 1e7) : undefined;
  reply({ name, ns, heap, sink });
}

if (require.main === module) main();
