/**
 * C4: a tracer that fails in every way never changes what the host sees. Traced functions of every kind run
 * 10,000 times per fault row (startSpan / finish / setTag / log / baggage / context throwing an Error, a string
 * or a Proxy, alone and all together, on every call, on the nth, on every kth; startSpan returning garbage),
 * and each outcome is compared with the plain build's.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultCounts, FAULT_WARNING_CODE, resetFaults } from '../../src/runtime/safe';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { installFaultTracer, SPAN_POINTS, type FaultPlan, type FaultTracer } from '../helpers/fault-tracer';
import { buildPair, EscapeWatch, turns } from './support';

type Faults = typeof import('./fixtures/faults');
const pair = buildPair<Faults>('faults', 'faults.ts');

const CALLS_PER_ROW = 10_000;

/** One call of the i-th kind (sync, throw, async, reject, generator, async generator, hand-written span API). */
async function callOne(m: Faults, i: number): Promise<string> {
  const thrown = { i };
  const settle = async (run: () => unknown) => {
    try {
      return `ok ${JSON.stringify(await run())}`;
    } catch (error) {
      return error === thrown ? 'threw the same value' : `threw another value: ${String(error)}`;
    }
  };
  switch (i % 7) {
    case 0:
      return settle(() => m.syncWork(i, { n: 1 }));
    case 1:
      return settle(() => m.throwing(thrown));
    case 2:
      return settle(() => m.asyncWork(i));
    case 3:
      return settle(() => m.rejecting(thrown));
    case 4:
      return settle(() => [...m.generatorWork(i)]);
    case 5:
      return settle(async () => {
        const out: number[] = [];
        for await (const v of m.asyncGeneratorWork(i)) out.push(v);
        return out;
      });
    default:
      return settle(() => m.manual(i));
  }
}

/** Outcomes of `n` calls, plus the arguments each function was called with, and whether the context held. */
async function run(m: Faults, n: number, outer?: unknown): Promise<{ outcomes: string[]; calls: string; contextHeld: boolean }> {
  m.calls.length = 0;
  const outcomes: string[] = [];
  let contextHeld = true;
  await withSpan(outer as never, async () => {
    for (let i = 0; i < n; i++) {
      outcomes.push(await callOne(m, i));
      if (activeSpan() !== outer) contextHeld = false;
    }
  });
  return { outcomes, calls: JSON.stringify(m.calls), contextHeld };
}

let expected: Awaited<ReturnType<typeof run>> | undefined;
async function plainOutcome(): Promise<Awaited<ReturnType<typeof run>>> {
  setTracer(undefined);
  return (expected ??= await run(pair.plain(), CALLS_PER_ROW));
}

/** Runs a row: 10,000 calls under a tracer failing per `plan`; asserts host-identical and 0 escapes. */
async function row(plan: FaultPlan): Promise<FaultTracer> {
  const plain = await plainOutcome();
  const m = pair.traced();
  resetFaults();
  const tracer = installFaultTracer({});
  const outer = tracer.startSpan('outer');
  tracer.plan = plan;
  const watch = new EscapeWatch();
  const got = await run(m, CALLS_PER_ROW, outer);
  await turns();
  watch.stop();
  setTracer(undefined);
  assert.ok(got.contextHeld, '~> the caller span is active again after every call');
  assert.is(got.calls, plain.calls, '~> every function ran exactly once, with the same arguments');
  const diff = got.outcomes.findIndex((o, i) => o !== plain.outcomes[i]);
  assert.is(diff, -1, `~> call ${diff}: ${got.outcomes[diff]} instead of ${plain.outcomes[diff]}`);
  assert.equal([watch.uncaught.length, watch.unhandled.length], [0, 0], '~> no uncaught exception or unhandled rejection');
  const foreign = watch.warnings.filter((w) => (w as Error & { code?: string }).code !== FAULT_WARNING_CODE);
  assert.equal(foreign.map(String), [], '~> no warning but the fault reports');
  assert.ok(watch.warnings.length <= Object.keys(faultCounts()).length, '~> at most one warning per kind of fault');
  return tracer;
}

const c55 = suite('C4.55 startSpan throws');
for (const value of ['error', 'string', 'proxy'] as const) {
  c55(`C4.55 startSpan throws (${value}): 10,000 calls of every kind run once with the same arguments, results identical`, async () => {
    const tracer = await row({ throws: ['startSpan'], value });
    assert.ok(tracer.calls.startSpan >= CALLS_PER_ROW, '~> every call tried to start a span');
    assert.ok(faultCounts()['tracer.startSpan'] >= CALLS_PER_ROW, '~> and each fault was counted');
  });
}
c55.run();

const c56 = suite('C4.56 span methods throw');
for (const point of SPAN_POINTS) {
  c56(`C4.56 span.${point} throws on every call: 10,000 calls host-identical, 0 escapes`, async () => {
    const tracer = await row({ throws: [point] });
    if (point === 'finish') {
      const spans = tracer.started.length - 1; // the test's own outer span is never finished
      assert.is(tracer.calls.finish, spans, '~> finish was called exactly once per span, though it threw');
    } else {
      assert.equal(tracer.unbalanced().map((s) => s.name).filter((n) => n !== 'outer'), [], '~> every span finished exactly once');
    }
  });
}
c56('C4.56 every span method throws at once (Proxy values): host-identical, 0 escapes', async () => {
  await row({ throws: [...SPAN_POINTS], value: 'proxy' });
});
c56('C4.56 every tracer and span method throws: host-identical, 0 escapes', async () => {
  await row({ throws: 'all', value: 'string' });
});
c56('C4.56 only the 5,000th call of each method throws: host-identical, spans balanced', async () => {
  const tracer = await row({ throws: 'all', nth: 5000 });
  assert.ok(tracer.calls.finish > 5000, '~> the row reached the failing call');
});
c56('C4.56 every 7th call of each method throws: host-identical', async () => {
  await row({ throws: 'all', every: 7 });
});
c56.run();

const c59 = suite('C4.59 startSpan returns garbage');
for (const garbage of ['undefined', 'null', 'number', 'contextless', 'foreign', 'noop'] as const) {
  c59(`C4.59 startSpan returns ${garbage}: 10,000 calls host-identical, 0 escapes`, async () => {
    const tracer = await row({ startSpanReturns: garbage });
    if (garbage === 'contextless' || garbage === 'foreign') {
      assert.equal(tracer.unbalanced().map((s) => s.name).filter((n) => n !== 'outer'), [], '~> the spans handed out are finished exactly once');
    }
  });
}
c59.run();
