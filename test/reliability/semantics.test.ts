/**
 * C2 (27–30): a traced function throws, rejects and returns exactly what the plain one does. Each fixture is
 * compiled twice (plain tsc; the plugin tracing every named function) and run three ways: plain, instrumented
 * with no tracer, instrumented while a recording tracer is set. The outcomes must be the same by `===`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultCounts, resetFaults } from '../../src/runtime/safe';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer, type RecordingTracer } from '../helpers/mock-tracer';
import { ROOT } from '../helpers/compile';
import { buildPair, EscapeWatch, FIXTURES, turns } from './support';

type Values = typeof import('./fixtures/values');
const pair = buildPair<Values>('values', 'values.ts');

/** The three ways every row runs; `tracer` is set only for the recording one. */
const MODES = ['plain', 'traced, no tracer', 'traced, recording'] as const;
type Mode = (typeof MODES)[number];
function load(mode: Mode): { mod: Values; tracer: RecordingTracer | undefined } {
  setTracer(undefined);
  resetFaults();
  if (mode === 'plain') return { mod: pair.plain(), tracer: undefined };
  const tracer = mode === 'traced, recording' ? installRecordingTracer() : undefined;
  return { mod: pair.traced(), tracer };
}

/** Every span finished exactly once, and none left open. */
function finishedOnce(tracer: RecordingTracer): void {
  for (const span of tracer.started) assert.is(span.finishCount, 1, `~> span ${span.name} finished once`);
}

class CustomError extends Error {
  override name = 'CustomError';
}
const hostileProxy = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('proxy get');
      },
      getPrototypeOf() {
        throw new Error('proxy getPrototypeOf');
      },
      has() {
        throw new Error('proxy has');
      },
      ownKeys() {
        throw new Error('proxy ownKeys');
      },
      getOwnPropertyDescriptor() {
        throw new Error('proxy getOwnPropertyDescriptor');
      },
    },
  );
/** An Error whose message, stack and name getters throw. */
function trappedError(): Error {
  const thrower = (what: string) => ({
    get() {
      throw new Error(`${what} getter`);
    },
  });
  return Object.create(Error.prototype, { message: thrower('message'), stack: thrower('stack'), name: thrower('name') });
}
/** Every kind of value a host may throw; fresh objects per call so `===` proves identity. */
const THROWN: readonly [string, () => unknown][] = [
  ['new Error', () => new Error('plain')],
  ['an Error subclass', () => new CustomError('custom')],
  ['undefined', () => undefined],
  ['null', () => null],
  ['42', () => 42],
  ["'str'", () => 'str'],
  ['Symbol()', () => Symbol('thrown')],
  ['a frozen object', () => Object.freeze({ frozen: true })],
  ['a Proxy whose every trap throws', hostileProxy],
  ['an Error whose message/stack/name getters throw', trappedError],
  ['a function', () => function thrownFunction() {}],
];

const c27 = suite('C2.27 sync throw');
c27('C2.27 sync throw: thrown value === original for every kind of value, 0 secondary errors from tagging', () => {
  for (const mode of MODES) {
    const { mod, tracer } = load(mode);
    const watch = new EscapeWatch();
    for (const [label, make] of THROWN) {
      for (const fn of [mod.throwIt, mod.throwArrow]) {
        const value = make();
        let caught: unknown = 'nothing thrown';
        try {
          fn(value);
        } catch (error) {
          caught = error;
        }
        assert.ok(caught === value, `~> ${mode}: ${fn.name} rethrows ${label} itself`);
      }
    }
    watch.stop();
    assert.equal(faultCounts(), {}, `~> ${mode}: no fault while tagging`);
    if (tracer) {
      assert.is(tracer.started.length, THROWN.length * 2, '~> one span per call');
      finishedOnce(tracer);
      for (const span of tracer.started) assert.is(span.tags.error, true, `~> ${span.name} carries error=true`);
    }
  }
});
c27('C2.27 no warning, uncaught exception or unhandled rejection comes from tagging odd thrown values', async () => {
  const { mod } = load('traced, recording');
  const watch = new EscapeWatch();
  for (const [, make] of THROWN) {
    try {
      mod.throwIt(make());
    } catch {}
  }
  await turns();
  watch.stop();
  assert.equal([watch.warnings.length, watch.unhandled.length, watch.uncaught.length], [0, 0, 0]);
});
c27.run();

const c28 = suite('C2.28 async reject');
c28('C2.28 async reject: rejection reason === original for every kind of value', async () => {
  for (const mode of MODES) {
    const { mod, tracer } = load(mode);
    for (const [label, make] of THROWN) {
      for (const fn of [(v: unknown) => mod.rejectNow(v), (v: unknown) => mod.rejectAfter(v, 0)]) {
        const value = make();
        // Boxed: resolving with a hostile Proxy would read its `then`.
        const [reason] = await fn(value).then(
          () => ['resolved'],
          (e: unknown) => [e],
        );
        assert.ok(reason === value, `~> ${mode}: rejects with ${label} itself`);
      }
    }
    assert.equal(faultCounts(), {}, `~> ${mode}: no fault while tagging`);
    if (tracer) {
      finishedOnce(tracer);
      assert.ok(tracer.started.every((s) => s.tags.error === true), '~> every span carries error=true');
    }
  }
});
c28('C2.28 settle order of interleaved rejections and resolutions is the plain order', async () => {
  const orders: string[][] = [];
  for (const mode of MODES) {
    const { mod } = load(mode);
    const order: string[] = [];
    const note = (label: string) => [() => order.push(`${label} resolved`), () => order.push(`${label} rejected`)] as const;
    await Promise.all([
      mod.rejectAfter(new Error('a'), 60).then(...note('a')),
      mod.resolveAfter('b', 30).then(...note('b')),
      mod.rejectNow('c').then(...note('c')),
      mod.rejectAfter('d', 0).then(...note('d')),
      mod.resolveAfter('e', 0).then(...note('e')),
      mod.asyncTagged('f').then(...note('f')),
      mod.rejectedPromise('g').then(...note('g')),
    ]);
    orders.push(order);
  }
  assert.equal(orders[1], orders[0], '~> instrumented, no tracer');
  assert.equal(orders[2], orders[0], '~> instrumented, recording');
});
c28('C2.28 the span lasts at least as long as the work it covers (bounded by the observed duration, ±1 ms)', async () => {
  const { mod, tracer } = load('traced, recording');
  const started = Date.now();
  await mod.rejectAfter(new Error('late'), 25).catch(() => undefined);
  const observed = Date.now() - started;
  const [span] = tracer!.byName('rejectAfter') as unknown as { _startMs: number; _finishMs: number; finishCount: number }[];
  const duration = span._finishMs - span._startMs;
  assert.ok(duration >= 25 - 1, `~> span duration ${duration} ms covers the 25 ms of work`);
  assert.ok(duration <= observed + 1, `~> span duration ${duration} ms is within the observed ${observed} ms`);
  assert.is(span.finishCount, 1);
});
c28.run();

const c29 = suite('C2.29 unhandled-rejection parity');
c29('C2.29 an un-awaited traced async function that rejects raises exactly one unhandledRejection with the same reason', async () => {
  for (const mode of MODES) {
    const { mod } = load(mode);
    for (const fn of [mod.rejectNow, mod.rejectedPromise, (v: unknown) => mod.rejectAfter(v, 1)]) {
      const error = new Error('nobody listens');
      const watch = new EscapeWatch();
      fn(error);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await turns();
      watch.stop();
      assert.is(watch.unhandled.length, 1, `~> ${mode}: one unhandledRejection`);
      assert.ok(watch.unhandled[0] === error, `~> ${mode}: with the original reason`);
    }
  }
});
c29('C2.29 a handled rejection raises none', async () => {
  for (const mode of MODES) {
    const { mod } = load(mode);
    const watch = new EscapeWatch();
    mod.rejectNow(new Error('handled')).catch(() => undefined);
    mod.rejectedPromise(new Error('handled')).catch(() => undefined);
    const late = mod.rejectAfter(new Error('handled late'), 1);
    await Promise.resolve();
    late.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await turns();
    watch.stop();
    assert.is(watch.unhandled.length, 0, `~> ${mode}: no unhandledRejection`);
    assert.is(watch.warnings.length, 0, `~> ${mode}: no warning`);
  }
});
c29('C2.29 under --unhandled-rejections=strict the exit code and error line are the plain ones', () => {
  const child = join(FIXTURES, 'unhandled-child.ts');
  const run = (dir: string, fn: string, recording: boolean) => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--unhandled-rejections=strict', child, dir, fn, recording ? 'recording' : 'none'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const line = out.stderr.split('\n').find((l) => l.startsWith('Error:')) ?? '';
    return { status: out.status, line, stdout: out.stdout.trim() };
  };
  for (const fn of ['rejectNow', 'rejectedPromise', 'handled']) {
    const expected = run(pair.plainDir, fn, false);
    assert.is(expected.status, fn === 'handled' ? 0 : 1, `~> plain ${fn}: exit code`);
    assert.equal(run(pair.tracedDir, fn, false), expected, `~> ${fn}: instrumented, no tracer`);
    assert.equal(run(pair.tracedDir, fn, true), expected, `~> ${fn}: instrumented, recording`);
  }
});
c29.run();

const c30 = suite('C2.30 returned thenables');
c30('C2.30 a sync function returns the very thenable, never calls its then, keeps instanceof and extra methods', async () => {
  const counts: number[][] = [];
  for (const mode of MODES) {
    const { mod, tracer } = load(mode);
    const api = mod.apiCall(7);
    const tagged = mod.taggedPromise(8);
    const lazy = mod.query();
    const before = mod.TaggedPromise.thenCalls;
    assert.instance(api, mod.APIPromise);
    assert.instance(tagged, mod.TaggedPromise);
    assert.instance(tagged, Promise);
    assert.instance(lazy, mod.LazyQuery);
    assert.equal(api.withResponse(), { data: 7, response: 'raw' }, `~> ${mode}: extra methods work`);
    await turns();
    const untouched = [api.thenCalls, mod.TaggedPromise.thenCalls - before, lazy.thenCalls, lazy.runs];
    assert.equal(untouched, [0, 0, 0, 0], `~> ${mode}: then never called when the caller does not await`);
    assert.is(await api, 7);
    assert.is(await tagged, 8);
    assert.equal(await lazy, ['a = 1']);
    counts.push([api.thenCalls, mod.TaggedPromise.thenCalls - before, lazy.thenCalls, lazy.runs]);
    if (tracer) finishedOnce(tracer);
  }
  assert.equal(counts[1], counts[0], '~> then counts after awaiting: instrumented, no tracer');
  assert.equal(counts[2], counts[0], '~> then counts after awaiting: instrumented, recording');
});
c30('C2.30 async functions adopting thenables call then as often as the plain build', async () => {
  const counts: number[][] = [];
  for (const mode of MODES) {
    const { mod } = load(mode);
    const lazy = new mod.LazyQuery().where('b = 2');
    const before = mod.TaggedPromise.thenCalls;
    assert.equal(await mod.asyncLazy(lazy), ['b = 2']);
    assert.is(await mod.asyncApiCall(3), 3);
    assert.is(await mod.asyncTagged(4), 4);
    counts.push([lazy.thenCalls, lazy.runs, mod.TaggedPromise.thenCalls - before]);
  }
  assert.equal(counts[1], counts[0], '~> instrumented, no tracer');
  assert.equal(counts[2], counts[0], '~> instrumented, recording');
});
c30('C2.30 identity: a thenable passed through a traced sync function is returned ===', () => {
  const { mod } = load('traced, recording');
  for (const value of [new mod.APIPromise(1), new mod.LazyQuery(), Promise.resolve(2), mod.taggedPromise(3)]) {
    assert.ok(mod.passThrough(value) === value);
  }
});
c30.run();
