/**
 * C2 (32–34, 39, 40): control flow of traced functions is the plain flow. Generators and async generators
 * driven every way a consumer can, recursion to stack overflow, sync callbacks, and a microtask interleaving
 * log, each compared against the plain build (and the instrumented build with no tracer).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultCounts, resetFaults } from '../../src/runtime/safe';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer, RecordedSpan, RecordingTracer } from '../helpers/mock-tracer';
import { buildPair, EscapeWatch, turns } from './support';

const MODES = ['plain', 'traced, no tracer', 'traced, recording'] as const;
type Mode = (typeof MODES)[number];

function loader<T>(pair: { plain: () => T; traced: () => T }) {
  return (mode: Mode): { mod: T; tracer: RecordingTracer | undefined } => {
    setTracer(undefined);
    resetFaults();
    if (mode === 'plain') return { mod: pair.plain(), tracer: undefined };
    const tracer = mode === 'traced, recording' ? installRecordingTracer() : undefined;
    return { mod: pair.traced(), tracer };
  };
}

/** Runs `scenario` in every mode and asserts the transcripts equal the plain one; returns the tracers. */
async function sameTranscript<T>(load: (mode: Mode) => { mod: T; tracer: RecordingTracer | undefined }, scenario: (mod: T) => unknown) {
  const transcripts: unknown[] = [];
  let tracer: RecordingTracer | undefined;
  for (const mode of MODES) {
    const loaded = load(mode);
    transcripts.push(await scenario(loaded.mod));
    tracer = loaded.tracer ?? tracer;
    if (mode !== 'plain') assert.equal(transcripts.at(-1), transcripts[0], `~> ${mode}: same transcript as plain`);
  }
  return tracer!;
}

type Generators = typeof import('./fixtures/generators');
const loadGenerators = loader(buildPair<Generators>('generators', 'generators.ts'));
const show = (r: IteratorResult<unknown>) => `${String(r.value)}${r.done ? ' (done)' : ''}`;

const c32 = suite('C2.32 generators');
/** Each scenario returns what the consumer saw followed by the body's own log. */
const GENERATOR_SCENARIOS: Record<string, (m: Generators) => string[]> = {
  'never iterated': (m) => {
    m.counter(3);
    return [...m.log];
  },
  'return() before the first next()': (m) => {
    const it = m.counter(3);
    return [show(it.return('early')), show(it.next()), ...m.log];
  },
  exhaustion: (m) => {
    const it = m.counter(2);
    return [show(it.next()), show(it.next('a')), show(it.next('b')), show(it.next()), ...m.log];
  },
  'early return()': (m) => {
    const it = m.counter(5);
    return [show(it.next()), show(it.return('stop')), show(it.next()), ...m.log];
  },
  'throw() into it, caught inside': (m) => {
    const it = m.counter(5);
    return [show(it.next()), show(it.throw('bad')), show(it.next()), show(it.next()), ...m.log];
  },
  'throw() into it, not caught': (m) => {
    const it = m.fragile();
    it.next();
    const error = new Error('into fragile');
    let same = false;
    try {
      it.throw(error);
    } catch (e) {
      same = e === error;
    }
    return [`rethrown same: ${same}`, show(it.next()), ...m.log];
  },
  'break out of for...of': (m) => {
    const seen: number[] = [];
    for (const v of m.counter(5)) {
      seen.push(v);
      if (v === 1) break;
    }
    return [seen.join(), ...m.log];
  },
  'spread and yield*': (m) => [[...m.counter(3)].join(), [...m.delegating()].join(), ...m.log],
};
for (const [name, scenario] of Object.entries(GENERATOR_SCENARIOS)) {
  c32(`C2.32 generators, ${name}: next() results and body side effects are the plain ones, each span finished once`, async () => {
    const tracer = await sameTranscript(loadGenerators, (m) => {
      m.log.length = 0;
      return scenario(m);
    });
    for (const span of tracer.started) assert.is(span.finishCount, 1, `~> ${span.name} finished once`);
    const started = tracer.started.length;
    if (name === 'never iterated' || name === 'return() before the first next()') assert.is(started, 0, '~> no body ran, no span (spans start lazily, with the body)');
    else assert.ok(started >= 1, '~> the body ran under a span');
    assert.equal(faultCounts(), {});
  });
}
c32('C2.32 a generator whose body threw is tagged as an error; one returned early is not', async () => {
  const { mod, tracer } = loadGenerators('traced, recording');
  const it = mod.fragile();
  it.next();
  assert.throws(() => it.throw(new Error('x')));
  const early = mod.counter(3);
  early.next();
  early.return('stop');
  const [fragile, counter] = [tracer!.byName('fragile')[0], tracer!.byName('counter')[0]];
  assert.is(fragile.tags.error, true);
  assert.is(counter.tags.error, undefined);
  assert.is(counter.finishCount, 1);
});
c32.run();

const c33 = suite('C2.33 async generators');
const ASYNC_SCENARIOS: Record<string, (m: Generators) => Promise<string[]>> = {
  'never iterated': async (m) => {
    m.pages(2);
    await turns();
    return [...m.log];
  },
  exhaustion: async (m) => {
    const it = m.pages(2);
    return [show(await it.next()), show(await it.next('a')), show(await it.next('b')), show(await it.next()), ...m.log];
  },
  'for await + break': async (m) => {
    const seen: number[] = [];
    for await (const v of m.pages(5)) {
      seen.push(v);
      if (v === 1) break;
    }
    return [seen.join(), ...m.log];
  },
  'return() while a next() is awaiting': async (m) => {
    const it = m.pages(5);
    const pending = it.next();
    const returned = it.return('stop');
    return [show(await pending), show(await returned), show(await it.next()), ...m.log];
  },
  'throw() into it': async (m) => {
    const it = m.pages(5);
    await it.next();
    const error = new Error('into pages');
    const reason = await it.throw(error).then(() => 'resolved', (e) => e);
    return [`rejected with the same error: ${reason === error}`, show(await it.next()), ...m.log];
  },
  'rejection inside': async (m) => {
    const reason = { code: 'E_PAGE' };
    const seen: number[] = [];
    let caught: unknown;
    try {
      for await (const v of m.failing(2, reason)) seen.push(v);
    } catch (e) {
      caught = e;
    }
    return [seen.join(), `same reason: ${caught === reason}`, ...m.log];
  },
  'for await inside, delegated consumer': async (m) => {
    const seen: number[] = [];
    for await (const v of m.relay()) seen.push(v);
    return [seen.join(), ...m.log];
  },
};
for (const [name, scenario] of Object.entries(ASYNC_SCENARIOS)) {
  c33(`C2.33 async generators, ${name}: results and side effects are the plain ones, each span finished once`, async () => {
    const tracer = await sameTranscript(loadGenerators, (m) => {
      m.log.length = 0;
      return scenario(m);
    });
    await turns();
    for (const span of tracer.started) assert.is(span.finishCount, 1, `~> ${span.name} finished once`);
    if (name === 'never iterated') assert.is(tracer.started.length, 0, '~> no body ran, no span');
    else assert.ok(tracer.started.length >= 1);
    if (name === 'rejection inside') assert.is(tracer.byName('failing')[0].tags.error, true, '~> the rejection is tagged');
    assert.equal(faultCounts(), {});
  });
}
c33.run();

type Recursion = typeof import('./fixtures/recursion');
const loadRecursion = loader(buildPair<Recursion>('recursion', 'recursion.ts'));

const c34 = suite('C2.34 recursion depth');
c34('C2.34 stack overflow: the host RangeError, ≥ 50 % of the plain depth, the caller span restored, next call works', async () => {
  const depths: Record<string, number> = {};
  for (const mode of MODES) {
    const { mod, tracer } = loadRecursion(mode);
    const outer = tracer?.startSpan('outer');
    const watch = new EscapeWatch();
    const state = { depth: 0 };
    let caught: unknown;
    withSpan(outer as never, () => {
      try {
        mod.dive(state);
      } catch (error) {
        caught = error;
      }
      assert.ok(activeSpan() === outer, `~> ${mode}: the span active before is active after`);
      assert.is(mod.sum(100), 5050, `~> ${mode}: the next call works`);
      assert.ok(activeSpan() === outer, `~> ${mode}: and leaves the context as it found it`);
    });
    await turns(); // the spans the overflow cut off end in a microtask
    watch.stop();
    assert.instance(caught, RangeError, `~> ${mode}: the overflow is a RangeError`);
    assert.match(String((caught as Error).message), /call stack/, `~> ${mode}: the engine's own message`);
    depths[mode] = state.depth;
    if (tracer) {
      const dives = tracer.byName('dive');
      // One more span than bodies when the tracer's own startSpan overflowed after recording the span: it never
      // handed that span back, so nothing can finish it. Every span of a frame whose body ran is finished once.
      assert.ok(dives.length - state.depth <= 1 && dives.length >= state.depth, `~> one span per frame (${dives.length} for ${state.depth})`);
      const ran = dives.slice(0, state.depth);
      const unfinished = ran.filter((s) => s.finishCount !== 1).length;
      assert.is(unfinished, 0, `~> every frame's span finished once, the ones cut off by the overflow too (${unfinished} not)`);
      assert.ok(ran.every((s) => s.tags.error === true), '~> each tagged with the error that unwound it');
      assert.ok(tracer.byName('sum').every((s) => s.finishCount === 1), '~> the next call is traced normally');
      assert.equal(faultCounts(), {}, '~> no secondary fault while unwinding');
    }
  }
  assert.ok(depths['traced, no tracer'] >= depths.plain * 0.5, `~> no tracer: ${depths['traced, no tracer']} of ${depths.plain}`);
  assert.ok(depths['traced, recording'] >= depths.plain * 0.5, `~> recording: ${depths['traced, recording']} of ${depths.plain}`);
  console.log(`C2.34 depth reached: plain ${depths.plain}, traced no tracer ${depths['traced, no tracer']}, traced recording ${depths['traced, recording']}`);
});
/** Tracers do more when a span ends (processors, exporters) than when it starts: this one 60 frames more. */
class DeepFinishSpan extends RecordedSpan {
  override finish(t?: number): void {
    const descend = (n: number): void => (n === 0 ? super.finish(t) : descend(n - 1));
    descend(60);
  }
}
class DeepFinishTracer extends RecordingTracer {
  protected override newSpan(): RecordedSpan {
    return new DeepFinishSpan(this);
  }
}
for (const fn of ['dive', 'diveAsync'] as const) {
  c34(`C2.34 ${fn}: stack overflow with a tracer whose finish needs more stack than its start: every span still finished once`, async () => {
    const { mod } = loadRecursion('traced, no tracer');
    const tracer = new DeepFinishTracer();
    setTracer(tracer);
    const state = { depth: 0 };
    let caught: unknown;
    try {
      await mod[fn](state);
    } catch (error) {
      caught = error;
    }
    assert.instance(caught, RangeError);
    assert.is(activeSpan(), undefined, '~> the context is the one before');
    await turns();
    const ran = tracer.byName(fn).slice(0, state.depth);
    assert.is(ran.length, state.depth);
    const unfinished = ran.filter((s) => s.finishCount !== 1).length;
    assert.is(unfinished, 0, `~> the spans of frames with too little stack left end from a fresh one (${unfinished} not)`);
    assert.ok(ran.every((s) => s.tags.error === true), '~> each tagged with the error');
    assert.equal(faultCounts(), {});
  });
}
c34.run();

type Callbacks = typeof import('./fixtures/callbacks');
const loadCallbacks = loader(buildPair<Callbacks>('callbacks', 'callbacks.ts'));

const c39 = suite('C2.39 sync stays sync');
c39('C2.39 a traced sync function never returns a Promise: the value itself', () => {
  for (const mode of MODES) {
    const { mod } = loadCallbacks(mode);
    const value = mod.double(21);
    assert.is(value, 42, `~> ${mode}`);
    assert.not.instance(mod.maybeThenable(-1), Promise);
    assert.equal(mod.maybeThenable(-1), {});
  }
});
c39('C2.39 callbacks run as often as untraced, synchronously iff untraced; a double callback reaches the host twice', async () => {
  await sameTranscript(loadCallbacks, async (m) => {
    const events: string[] = [];
    const cb = (label: string) => (error: Error | null, value?: number) => events.push(`${label}: ${error ? error.message : value} (${phase})`);
    let phase = 'sync';
    m.withCallback(2, cb('withCallback 2'));
    m.withCallback(-1, cb('withCallback -1'));
    m.deferCallback(3, cb('deferCallback'));
    m.twice(cb('twice'));
    phase = 'later';
    await turns(2);
    return events;
  });
});
c39('C2.39 a throwing host callback propagates through the traced function unchanged, 0 escapes', async () => {
  for (const mode of MODES) {
    const { mod, tracer } = loadCallbacks(mode);
    const watch = new EscapeWatch();
    const error = new TypeError('host callback');
    let caught: unknown;
    try {
      mod.invoke(() => {
        throw error;
      });
    } catch (e) {
      caught = e;
    }
    await turns();
    watch.stop();
    assert.ok(caught === error, `~> ${mode}: the host's own error`);
    assert.equal([watch.warnings.length, watch.uncaught.length, watch.unhandled.length], [0, 0, 0]);
    if (tracer) assert.is(tracer.byName('invoke')[0].tags.error, true);
  }
});
c39.run();

type Ordering = typeof import('./fixtures/ordering');
const loadOrdering = loader(buildPair<Ordering>('ordering', 'ordering.ts'));

const c40 = suite('C2.40 microtask ordering');
c40('C2.40 a 30+ step interleaving of traced and untraced async functions is the plain order', async () => {
  const tracer = await sameTranscript(loadOrdering, async (m) => {
    const log = await m.scenario();
    assert.ok(log.length >= 30, `~> the log has ${log.length} steps`);
    return log;
  });
  assert.ok(tracer.started.length > 5, '~> the traced workers recorded spans');
  for (const span of tracer.started) assert.is(span.finishCount, 1);
  assert.is(tracer.byName('plainWorker').length, 0, '~> the @untraced worker stayed untraced');
});
c40.run();
