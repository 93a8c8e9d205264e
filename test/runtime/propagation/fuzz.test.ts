/**
 * RELIABILITY C1 case 26 (100 000 seeded mutations through every extractor: 0 exceptions, and every result
 * well-formed) and case 12 (oversized values: bounded, linear time; a generous guard, not a benchmark).
 */
import http from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  extractBaggage,
  extractContext,
  extractSampling,
  injectContext,
  isSpanId,
  isTraceId,
  parseB3Single,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
  parseUberTraceId,
  type PropagationFormat,
  type TraceContext,
} from '../../../src/runtime/propagation';
import { B3S, B3T, mutatedCarrier, REJECTED_B3, REJECTED_TRACEPARENTS, REJECTED_UBER, seeded, TP } from './cases';

const ALL: readonly PropagationFormat[] = ['w3c', 'b3', 'b3multi', 'uber'];

/** Every property a returned context must have, whatever came in. */
function checkContext(ctx: TraceContext | undefined): void {
  if (ctx === undefined) return;
  if (!isTraceId(ctx.traceId) || !isSpanId(ctx.spanId) || typeof ctx.sampled !== 'boolean') throw new Error(`bad ids ${JSON.stringify(ctx)}`);
  if (ctx.traceState !== undefined && parseTracestate(ctx.traceState) !== ctx.traceState) throw new Error(`bad tracestate ${ctx.traceState}`);
  if (ctx.traceState !== undefined && ctx.format !== 'w3c') throw new Error('tracestate on a non-W3C context');
  if (ctx.baggage !== undefined) checkBaggage(ctx.baggage);
}
function checkBaggage(bag: Readonly<Record<string, string>> | undefined): void {
  if (bag === undefined) return;
  if (Object.getPrototypeOf(bag) !== null || !Object.isFrozen(bag)) throw new Error('baggage storage');
  const keys = Object.keys(bag);
  if (keys.length === 0 || keys.length > 64) throw new Error(`baggage size ${keys.length}`);
  for (const key of keys) if (typeof bag[key] !== 'string') throw new Error('baggage value');
}
function checkInject(ctx: TraceContext | undefined): void {
  if (ctx === undefined) return;
  const headers: Record<string, unknown> = {};
  injectContext(ctx, headers, ALL);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new Error(`${name} is not a string`);
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
  }
}

const fuzz = suite('extractContext (fuzz)');
fuzz('C1.26 100 000 seeded mutations through every extractor: 0 exceptions, every result well-formed', () => {
  const random = seeded(26);
  const failures: string[] = [];
  let accepted = 0;
  const started = performance.now();
  for (let i = 0; i < 100_000; i++) {
    const { carrier, values } = mutatedCarrier(random);
    try {
      const ctx = extractContext(carrier, ALL);
      if (ctx) accepted++;
      checkContext(ctx);
      checkInject(ctx);
      checkContext(extractContext(carrier));
      checkBaggage(extractBaggage(carrier, ALL));
      const sampled = extractSampling(carrier, ALL);
      if (sampled !== undefined && typeof sampled !== 'boolean') throw new Error('sampling');
      checkContext(parseTraceparent(values.traceparent));
      checkContext(parseB3Single(values.b3));
      checkContext(parseUberTraceId(values['uber-trace-id']));
      checkBaggage(parseBaggage(values.baggage));
      parseTracestate(values.tracestate);
    } catch (error) {
      if (failures.length < 5) failures.push(`#${i} ${JSON.stringify(values)}: ${(error as Error).stack}`);
      else failures.length++;
    }
  }
  const ms = performance.now() - started;
  console.log(`  fuzz: 100000 carriers, ${accepted} gave a context, ${ms.toFixed(0)} ms for all checks`);
  assert.equal(failures, [], `~> ${failures.length} failures`);
  assert.ok(accepted > 1000 && accepted < 99_000, `~> the corpus exercises both outcomes (${accepted} accepted)`);
});
fuzz('C1.17 the same seed gives the same results on every run', () => {
  const digest = () => {
    const random = seeded(17);
    const out: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const { carrier } = mutatedCarrier(random);
      const ctx = extractContext(carrier, ALL);
      out.push(JSON.stringify(ctx && { ...ctx, baggage: ctx.baggage && { ...ctx.baggage } }));
    }
    return out;
  };
  assert.equal(digest(), digest());
});
fuzz.run();

/** The per-call time of `fn`, best of `rounds` batches of `batch` calls (the best batch is the least disturbed). */
function bestPerCall(fn: () => unknown, batch: number, rounds = 7): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    best = Math.min(best, (performance.now() - t0) / batch);
  }
  return best;
}

const OVERSIZED = {
  traceparent: (n: number) => ({ traceparent: `00-${'a'.repeat(n)}` }),
  tracestate: (n: number) => ({ traceparent: TP, tracestate: Array.from({ length: n / 8 }, (_, i) => `k${i}=v`).join(',') }),
  baggage: (n: number) => ({ traceparent: TP, baggage: Array.from({ length: n / 8 }, (_, i) => `k${i}=v`).join(',') }),
  'baggage without commas': (n: number) => ({ traceparent: TP, baggage: 'x'.repeat(n) }),
  b3: (n: number) => ({ b3: `${B3T}-${'1'.repeat(n)}` }),
  uber: (n: number) => ({ 'uber-trace-id': `${'%3A'.repeat(n / 3)}` }),
};

const bounded = suite('extractContext (bounded time)');
bounded('C1.12 oversized values are rejected or cut in bounded, linear time', () => {
  const lines: string[] = [];
  for (const [label, make] of Object.entries(OVERSIZED)) {
    const small = make(65_536);
    const large = make(1 << 20);
    const double = make(2 << 20);
    const ctx = extractContext(large, ALL);
    if (ctx?.baggage) assert.ok(Object.keys(ctx.baggage).length <= 64, `~> ${label}: baggage cut`);
    if (label === 'tracestate') assert.is(ctx?.traceState, undefined, '~> 10 000+ member tracestate discarded');
    const tSmall = bestPerCall(() => extractContext(small, ALL), 20);
    const tLarge = bestPerCall(() => extractContext(large, ALL), 20);
    const tDouble = bestPerCall(() => extractContext(double, ALL), 20);
    lines.push(`${label}: 64 KiB ${(tSmall * 1000).toFixed(1)} µs, 1 MiB ${(tLarge * 1000).toFixed(1)} µs, 2 MiB ${(tDouble * 1000).toFixed(1)} µs`);
    assert.ok(tLarge < 50, `~> ${label}: far under 50 ms per header (target 1 ms), took ${tLarge.toFixed(3)} ms`);
    // Linear at worst: doubling the input must not more than double the time (+ 0.05 ms of timer noise).
    assert.ok(tDouble <= tLarge * 2.5 + 0.05, `~> ${label}: 2x input took ${(tDouble / tLarge).toFixed(2)}x the time`);
  }
  console.log(`  oversized, best per call:\n    ${lines.join('\n    ')}`);
});
bounded('C1.12 10 000 crafted inputs extract well within the bound', () => {
  const crafted: unknown[] = [];
  const random = seeded(12);
  const rejected = [...REJECTED_TRACEPARENTS.flatMap(([, v]) => v).map((traceparent) => ({ traceparent, tracestate: 'a=1', baggage: 'k=v' })),
    ...REJECTED_B3.map((b3) => ({ b3 })), ...REJECTED_UBER.map((u) => ({ 'uber-trace-id': u, 'uberctx-a': '%ZZ' }))];
  while (crafted.length < 10_000) crafted.push(crafted.length % 2 ? rejected[crafted.length % rejected.length] : mutatedCarrier(random).carrier);
  let total = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (const carrier of crafted) extractContext(carrier, ALL);
    total = Math.min(total, performance.now() - t0);
  }
  console.log(`  10 000 crafted inputs, all four formats: ${total.toFixed(1)} ms (best of 5)`);
  assert.ok(total < 1000, `~> generous guard: ${total.toFixed(1)} ms (target 50 ms)`);
});
bounded.run();
