/**
 * Per-call cost of a traced function against the untraced one, by hand-written spans and OpenTelemetry, with
 * the ratios taken in the same run. Also: heap over 1e7 untraced calls, a plain `await` as ts-traced goes from
 * absent to recording, and the microtask ticks an instrumented async function adds.
 *
 *   npx tsx bench/call-overhead.ts [--quick] [--node 20,24]
 *
 * Each case runs in a process of its own (a tracer, once set, enables AsyncLocalStorage for the whole process).
 */
import { median } from './lib/measure';
import { compileFixture, preparePackage } from './lib/prepare';
import { describeMachine, fixed, nodeBinary, nodeVersion, quick, ratio, requestedNodes, runWorker, table, writeResults } from './lib/report';
import { CASES } from './workers/calls';

const KINDS = { syncTrivial: 'sync', asyncTrivial: 'async', generatorTrivial: 'generator', syncMicro: 'sync, ~1 µs body' } as const;
type Kind = keyof typeof KINDS;

interface CaseResult {
  readonly name: string;
  readonly ns: Record<Kind, number[]>;
  readonly heap?: { calls: number; heapDelta: number; collections: number };
}

/** The targets the runtime is tuned towards: numerator case / denominator case, at most `max`. */
const TARGETS = [
  { of: 'ts-traced, no tracer', to: 'no-op OpenTracing tracer by hand', max: 1 },
  { of: 'ts-traced, no tracer', to: 'bare', max: 1.01, kinds: ['syncMicro'] as Kind[] },
  { of: 'ts-traced, DevTracer', to: 'by hand, DevTracer + ALS.run', max: 1 },
  { of: 'ts-traced via OTel bridge, SDK', to: 'OTel startActiveSpan, SDK', max: 1.2 },
  { of: 'ts-traced, DevTracer', to: 'OTel startActiveSpan, SDK', max: 0.2 },
];

function runOn(major: string) {
  const node = nodeBinary(major);
  if (node === undefined) {
    console.log(`\nNode ${major}: no binary (npm ci --prefix compat/node${major}); skipped`);
    return undefined;
  }
  const flag = quick ? ['--quick'] : [];
  const medians: Record<string, Record<Kind, number>> = {};
  const heaps: Record<string, CaseResult['heap']> = {};
  for (const name of Object.keys(CASES)) {
    const result = runWorker<CaseResult>('calls', [name, ...flag], node);
    medians[name] = Object.fromEntries(Object.entries(result.ns).map(([k, v]) => [k, median(v)])) as Record<Kind, number>;
    if (result.heap) heaps[name] = result.heap;
  }
  const awaits = runWorker<{ phases: Record<string, number[]> }>('await-loop', flag, node).phases;
  const ticks = runWorker<{ ticks: Record<string, Record<string, number>> }>('ticks', [], node).ticks;
  const version = nodeVersion(node);

  const kinds = Object.keys(KINDS) as Kind[];
  const bare = medians.bare;
  console.log(`\nPer-call cost on Node ${version}, ns/call (median of ${quick ? 5 : 9} repetitions, CPU time)`);
  console.log(table(['case', ...kinds.map((k) => KINDS[k])], Object.entries(medians).map(([name, m]) => [name, ...kinds.map((k) => fixed(m[k]))])));
  console.log('\nAdded to the untraced call, ns/call');
  console.log(
    table(['case', ...kinds.map((k) => KINDS[k])], Object.entries(medians).filter(([n]) => n !== 'bare').map(([name, m]) => [name, ...kinds.map((k) => fixed(m[k] - bare[k]))])),
  );
  const targets = TARGETS.map((t) => {
    const values = Object.fromEntries((t.kinds ?? kinds).map((k) => [k, medians[t.of][k] / medians[t.to][k]]));
    return { ...t, values, met: Object.values(values).every((v) => v <= t.max) };
  });
  console.log('\nRatios, same run (target: at most the value shown)');
  console.log(
    table(
      ['ratio', ...kinds.map((k) => KINDS[k]), 'target'],
      targets.map((t) => [`${t.of} / ${t.to}`, ...kinds.map((k) => (k in t.values ? ratio(t.values[k]) : '')), `≤ ${t.max} ${t.met ? 'met' : 'MISSED'}`]),
    ),
  );
  console.log('\nHeap over 1e7 calls of the sync function (no tracer)');
  console.log(
    table(['case', 'heap delta', 'bytes/call', 'collections'], Object.entries(heaps).map(([n, h]) => [n, `${h!.heapDelta} B`, fixed(h!.heapDelta / h!.calls, 3), String(h!.collections)])),
  );
  console.log('\nA plain `await` in untraced code, same process, ns');
  console.log(table(['phase', 'ns/await'], Object.entries(awaits).map(([p, v]) => [p, fixed(median(v))])));
  console.log('\nMicrotask ticks until the promise settles');
  const fns = Object.keys(ticks.plain);
  console.log(table(['build', ...fns], Object.entries(ticks).map(([b, t]) => [b, ...fns.map((f) => String(t[f]))])));
  return { version, medians, targets, heaps, awaits: Object.fromEntries(Object.entries(awaits).map(([p, v]) => [p, median(v)])), ticks };
}

function main() {
  preparePackage(console.log);
  compileFixture('calls');
  compileFixture('by-hand');
  console.log(`call-overhead${quick ? ' (quick)' : ''}: ${describeMachine()}`);
  const runs: Record<string, unknown> = {};
  for (const major of requestedNodes(quick ? undefined : ['20', '24'])) runs[`node${major}`] = runOn(major);
  console.log(`\nwrote ${writeResults('call-overhead', { runs })}`);
}

main();
