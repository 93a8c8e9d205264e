/**
 * Per-call cost of a traced function, in ns/call and as ratios, all cases in one run.
 *
 *   npx tsx bench/call-overhead.ts [--quick]
 *
 * Each case runs in its own process (a tracer, once set, enables AsyncLocalStorage for the whole process, which
 * would tax the cases after it); each process reports the median of its repetitions.
 */
import { execFileSync } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { SiteKind } from '../src/contract';
import { v1 } from '../src/runtime/v1';
import { setTracer } from '../src/runtime/tracer';
import { Span, Tracer, type SpanOptions } from 'opentracing';

const quick = process.argv.includes('--quick');
const REPS = quick ? 5 : 9;
const CALLS = quick ? 200_000 : 1_000_000;

let sink = 0;

/** A body of about a microsecond, so ratios mean something (a trivial body is inlined to nothing). */
function work(n: number): number {
  let h = n;
  for (let i = 0; i < 120; i++) h = (h * 31 + i) | 0;
  return h;
}

function bare(n: number): number {
  return work(n);
}

const $site = v1.site({ name: 'traced', kind: SiteKind.sync, fn: 'traced', file: 'bench.ts', line: 1 });
/** Exactly what the transformer emits for `bare`. */
function traced(n: number): number {
  const $s = v1.enter($site);
  try {
    return v1.ret($s, work(n));
  } catch ($e) {
    v1.fail($s, $e);
    throw $e;
  } finally {
    v1.exit($s);
  }
}

const storage = new AsyncLocalStorage<unknown>();
let handTracer: Tracer = new Tracer();
/** The same span logic written by hand: start a child of the active span, activate it, finish. */
function byHand(n: number): number {
  const span = handTracer.startSpan('byHand', { childOf: storage.getStore() as any });
  try {
    return storage.run(span, work, n);
  } finally {
    span.finish();
  }
}

function alsRun(n: number): number {
  return storage.run(n, work, n);
}

function measure(fn: (n: number) => number): number {
  for (let i = 0; i < CALLS / 10; i++) sink ^= fn(i); // warm up
  const samples: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) sink ^= fn(i);
    samples.push(Number(process.hrtime.bigint() - t0) / CALLS);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

/** A minimal recording OpenTracing tracer: a span object with name, parent, tags and times; the finished count. */
class LeanSpan extends Span {
  readonly tags: Record<string, unknown> = {};
  end = 0;
  constructor(
    readonly name: string,
    readonly parent: unknown,
    readonly start: number,
  ) {
    super();
  }
  protected override _addTags(tags: Record<string, unknown>): void {
    Object.assign(this.tags, tags);
  }
  protected override _finish(): void {
    this.end = performance.now();
    finished++;
  }
}
let finished = 0;
class LeanTracer extends Tracer {
  protected override _startSpan(name: string, options: SpanOptions): Span {
    const span = new LeanSpan(name, options.references?.[0], performance.now());
    if (options.tags) span.addTags(options.tags);
    return span;
  }
}

const CASES: Record<string, () => number> = {
  bare: () => measure(bare),
  'ts-traced, no tracer': () => measure(traced),
  'ts-traced, no-op OpenTracing tracer by hand': () => {
    handTracer = new Tracer();
    return measure(byHand);
  },
  'ts-traced, lean recording tracer': () => {
    setTracer(new LeanTracer());
    return measure(traced);
  },
  'hand-written span logic, lean recording tracer': () => {
    handTracer = new LeanTracer();
    return measure(byHand);
  },
  'AsyncLocalStorage.run alone': () => measure(alsRun),
};

if (process.argv.includes('--case')) {
  const name = process.argv[process.argv.indexOf('--case') + 1];
  const ns = CASES[name]();
  process.stdout.write(JSON.stringify({ name, ns, sink }));
} else {
  const results: Record<string, number> = {};
  for (const name of Object.keys(CASES)) {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--case', name, ...(quick ? ['--quick'] : [])]);
    results[name] = JSON.parse(String(out)).ns;
  }
  const base = results.bare;
  console.log(`per-call cost, body ≈ ${base.toFixed(0)} ns, median of ${REPS} × ${CALLS} calls, Node ${process.version}`);
  for (const [name, ns] of Object.entries(results)) {
    console.log(`${name.padEnd(48)} ${ns.toFixed(1).padStart(8)} ns  +${(ns - base).toFixed(1).padStart(7)} ns  ${(ns / base).toFixed(3)}×`);
  }
}
