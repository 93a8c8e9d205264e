/**
 * Memory, in a process of its own (run with --expose-gc): `memory.ts untraced` — heap before and after 1e6
 * traced calls with no tracer; `memory.ts live` — bytes per open span with the DevTracer, as pending traced
 * calls and as bare DevSpans. Prints one JSON line.
 */
import { outRequire, packageRequire, reply } from '../lib/measure';

const gc = (globalThis as { gc?: () => void }).gc!;

function heapNow(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function untraced() {
  const calls = outRequire('./calls.traced.js');
  for (let i = 0; i < 1e4; i++) calls.syncTrivial(i); // load and optimise first
  const before = heapNow();
  let sink = 0;
  for (let i = 0; i < 1e6; i++) sink ^= calls.syncTrivial(i);
  for (let i = 0; i < 1e6; i++) sink ^= await calls.asyncTrivial(i);
  const after = heapNow();
  return { calls: 2e6, before, after, sink };
}

/** Heap per pending call of `fn` (each awaiting one shared gate), and after they all finish. */
async function pending(fn: (gate: Promise<void>) => Promise<void>, count: number) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const before = heapNow();
  const calls: Promise<void>[] = new Array(count);
  for (let i = 0; i < count; i++) calls[i] = fn(gate);
  const during = heapNow();
  open();
  await Promise.all(calls);
  calls.length = 0;
  const after = heapNow();
  return { perCall: (during - before) / count, leftAfter: after - before };
}

async function live() {
  const count = 1e5;
  const { DevTracer } = packageRequire('ts-traced/dev');
  const traced = packageRequire('ts-traced');
  const tracer = new DevTracer();
  tracer.onFinish(() => {});
  traced.setTracer(tracer);
  const root = tracer.startSpan('root');
  const run = <T>(fn: () => T) => traced.withSpan(root, fn) as T;
  const plainCalls = outRequire('./calls.js');
  const tracedCalls = outRequire('./calls.traced.js');
  await run(() => pending(plainCalls.asyncWaits, 1000)); // warm both paths
  await run(() => pending(tracedCalls.asyncWaits, 1000));
  const plain = await run(() => pending(plainCalls.asyncWaits, count));
  const instrumented = await run(() => pending(tracedCalls.asyncWaits, count));

  const before = heapNow();
  const spans = new Array(count);
  for (let i = 0; i < count; i++) spans[i] = tracer.startSpan('child', { childOf: root, tags: { 'code.function': 'f' } });
  const perDevSpan = (heapNow() - before) / count;
  spans.length = 0;
  return { count, plain, traced: instrumented, perOpenSpan: instrumented.perCall - plain.perCall, perDevSpan };
}

const mode = process.argv[2];
(mode === 'untraced' ? untraced() : live()).then(reply);
