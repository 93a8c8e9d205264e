/**
 * Instrumented code behaves as the original. The modules in ./equivalence are compiled twice to CommonJS,
 * plain (tsc, no plugin) and instrumented (the plugin), and each script below runs on the plain build, on the
 * instrumented build with no tracer and on the instrumented build recording spans: the three transcripts must be
 * identical. Then the spans of the recording run are checked. Numbers in titles are RELIABILITY.md case ids.
 * The scripts are in ./equivalence/cases.ts (test/pipelines/equivalence.test.ts runs them on every pipeline).
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { build, loadFresh, type Module } from '../helpers/exec';
import { CASES, show, type Case } from './equivalence/cases';
import { installRecordingTracer, type RecordedSpan, type RecordingTracer } from '../helpers/mock-tracer';

const SOURCES = join(__dirname, 'equivalence');
const MODULES: readonly (Omit<Module, 'pluginOptions'>)[] = [
  { fileName: join(SOURCES, 'functions.ts') },
  { fileName: join(SOURCES, 'generators.ts') },
  { fileName: join(SOURCES, 'async.ts'), compilerOptions: { types: ['node'] } },
  { fileName: join(SOURCES, 'decorators.ts'), compilerOptions: { experimentalDecorators: true } },
  { fileName: join(SOURCES, 'sloppy.ts'), compilerOptions: { strict: false } },
  { fileName: join(SOURCES, 'cycle-a.ts') },
  { fileName: join(SOURCES, 'cycle-b.ts') },
];
const PLAIN = build('equivalence-plain', MODULES.map((m) => ({ ...m, pluginOptions: null })));
const TRACED = build('equivalence-traced', MODULES.map((m) => ({ ...m, pluginOptions: {} })));

async function transcript<M>(dir: string, { module, script }: Case<M>): Promise<string[]> {
  const lines: string[] = [];
  const m = loadFresh<M>(dir, module);
  await script(m, (...values) => lines.push(values.map(show).join(' ')));
  return lines;
}

/**
 * Runs `script` three ways and asserts one transcript; returns the tracer of the recording run, whose spans have
 * all been finished exactly once.
 */
async function same<M>(c: Case<M>): Promise<RecordingTracer> {
  setTracer(undefined);
  const expected = await transcript(PLAIN, c);
  assert.ok(expected.length > 0, '~> the script logs something');
  assert.equal(await transcript(TRACED, c), expected, '~> instrumented without a tracer: same transcript');
  const tracer = installRecordingTracer();
  try {
    assert.equal(await transcript(TRACED, c), expected, '~> instrumented and recording: same transcript');
  } finally {
    setTracer(undefined);
  }
  for (const span of tracer.started) assert.is(span.finishCount, 1, `~> ${span.name} finished exactly once`);
  return tracer;
}

const paths = (t: RecordingTracer) => t.finished().map((s) => s.path);
const errored = (s: RecordedSpan) => s.tags.error === true;

type Functions = typeof import('./equivalence/functions');
type Generators = typeof import('./equivalence/generators');
type Async = typeof import('./equivalence/async');

const sync = suite('sync functions');

sync('return values and thrown values are the very same (27)', async () => {
  const tracer = await same(CASES.values);
  assert.equal(tracer.finished().filter(errored).length, 10, '~> every throw tagged the span');
});

sync('nested calls, catches and rethrows; spans nest under the caller (27)', async () => {
  const tracer = await same(CASES.nested);
  assert.equal(paths(tracer).slice(-3), ['outer', 'outer > inner', 'outer > inner'], '~> outer > inner twice');
  const nested = tracer.byName('nested');
  assert.equal(nested.map((s) => s.path.split(' > ').length), [1, 2, 1, 2, 3, 4], '~> recursive spans nest');
  assert.equal(nested.map(errored), [true, true, false, false, true, true], '~> error tag on every frame the error left');
});

sync('default parameters run once, in order; TDZ errors are the same (36)', async () => {
  await same(CASES.defaults);
});

sync('recursion goes at least half as deep; the overflow is the host RangeError; the caller span is active again (34)', async () => {
  for (const recording of [false, true]) {
    const tracer = recording ? installRecordingTracer() : undefined;
    try {
      const m = loadFresh<Functions>(TRACED, 'functions');
      const caller = tracer?.startSpan('caller');
      const overflow = (fn: (n: number) => number) => {
        try {
          fn(0);
        } catch (e) {
          return e;
        }
      };
      const run = () => [overflow(m.plainDepth), overflow(m.depth)];
      const [plain, traced] = caller ? withSpan(caller as never, () => {
        const errors = run();
        assert.is(activeSpan(), caller as never, '~> the caller span is active after the overflow');
        return errors;
      }) : run();
      assert.instance(plain, RangeError);
      assert.instance(traced, RangeError, '~> the host RangeError, not a tracer error');
      assert.ok(m.reached.traced >= m.reached.plain / 2, `~> ${m.reached.traced} of ${m.reached.plain} frames (recording: ${recording})`);
      assert.is(m.add(1, 2), 3, '~> the next call works');
    } finally {
      setTracer(undefined);
    }
  }
});

sync('a callback called twice reaches the caller twice, synchronously (39)', async () => {
  await same(CASES.callback);
});
sync.run();

const shape = suite('function shape');

shape('name, length, kind, prototype and own keys are unchanged (38)', async () => {
  await same(CASES.shapeFunctions);
  await same(CASES.shapeGenerators);
  await same(CASES.shapeAsync);
});
shape.run();

const self = suite('this, arguments, super, new.target');

self('call, apply, bind and method calls see the same this and arguments (35, 36)', async () => {
  await same(CASES.thisArgs);
});

self('super, private methods, static members, accessors and field arrows (35)', async () => {
  await same(CASES.classes);
});

self('new.target and constructors: with and without new, Reflect.construct (37)', async () => {
  await same(CASES.construct);
});

self('sloppy mode: arguments alias parameters; this of a plain call is the global object (36)', async () => {
  await same(CASES.sloppy);
});
self.run();

const generators = suite('generators');

generators('next, return, throw, exhaustion and delegation give the same results (32)', async () => {
  const tracer = await same(CASES.generators);
  assert.equal(tracer.byName('count').length, 4, '~> one span per iterated generator');
});

generators('a generator that is never iterated runs nothing and starts no span (32)', async () => {
  const tracer = await same(CASES.idleGenerator);
  assert.is(tracer.started.length, 0, '~> no span before the first next()');
});

generators('async generators: for await, early break, return() and rejection (33)', async () => {
  const tracer = await same(CASES.asyncGenerators);
  assert.equal(tracer.byName('failing').map(errored), [true], '~> the rejection is tagged');
});

generators('yield* and for await pick the iterator the engine picks; non-iterables fail with a TypeError', async () => {
  await same(CASES.delegation);
});

generators('a generator resumed from another span hands that span back; its own span stays active inside', async () => {
  const tracer = installRecordingTracer();
  try {
    const m = loadFresh<Generators>(TRACED, 'generators');
    const a = tracer.startSpan('a');
    const b = tracer.startSpan('b');
    const it = m.count(5);
    withSpan(a as never, () => {
      it.next();
      assert.is((activeSpan() as RecordedSpan | undefined)?.name, 'a', '~> a after the first next()');
    });
    withSpan(b as never, () => {
      it.next();
      assert.is((activeSpan() as RecordedSpan | undefined)?.name, 'b', '~> b after the second next()');
      it.return('x');
    });
    const [span] = tracer.byName('count');
    assert.is(span.parent, a as never, '~> parent is whoever started it');
    assert.is(span.finishCount, 1);
  } finally {
    setTracer(undefined);
  }
});
generators.run();

const asyncs = suite('async functions');

asyncs('rejection reasons are the very same values (28)', async () => {
  const tracer = await same(CASES.rejections);
  assert.equal(tracer.byName('rejectWith').map(errored), Array(7).fill(true), '~> every rejection tagged');
});

asyncs('an interleaving of concurrent promise chains is the same, step for step (40)', async () => {
  const tracer = await same(CASES.interleaving);
  assert.equal(tracer.byName('work').map((s) => s.finishCount), [1, 1]);
  assert.equal(tracer.byName('rejectLater').map(errored), [true], '~> the rejection is tagged');
});

asyncs('concurrent calls each get their own span, child of their caller', async () => {
  const tracer = installRecordingTracer();
  try {
    const m = loadFresh<Async>(TRACED, 'async');
    const roots = ['r1', 'r2', 'r3'].map((n) => tracer.startSpan(n));
    await Promise.all(roots.map((root, i) => withSpan(root as never, () => m.work(`w${i}`, []))));
    const spans = tracer.byName('work');
    assert.equal(spans.map((s) => s.parent?.name).sort(), ['r1', 'r2', 'r3']);
    assert.is(activeSpan(), undefined, '~> nothing left active');
  } finally {
    setTracer(undefined);
  }
});

asyncs('kind and identity: AsyncFunction stays AsyncFunction, its promise is native (38)', async () => {
  await same(CASES.asyncKind);
});
asyncs.run();

const promises = suite('sync functions returning promises');

promises('the very same object comes back; then is called as often as without tracing (30)', async () => {
  const tracer = await same(CASES.promiseIdentity);
  const lazy = tracer.byName('startLazy');
  assert.equal(lazy.map((s) => s.tags['traced.promise']), ['not-followed', 'not-followed'], '~> a lazy thenable is not followed');
});

promises('unhandled rejections are the same: one when unhandled, none when handled (29)', async () => {
  await same(CASES.unhandled);
});
promises.run();

const modules = suite('module loading');

modules('a traced function called through an import cycle while its module loads (41)', async () => {
  const tracer = await same(CASES.cycle);
  assert.equal(tracer.finished().map((s) => s.name), ['double', 'double'], '~> both calls traced');
});
modules.run();

const decorators = suite('@traced decorators');

decorators('decorated methods behave as the methods the run-time decorator wraps (42)', async () => {
  const tracer = await same(CASES.decorators);
  const [deposit] = tracer.byName('Account.deposit');
  assert.is(deposit.tags['arg.amount'], 10, '~> args recorded');
  assert.is(deposit.tags.component, 'accounts', '~> static tags');
  assert.is(tracer.byName('Account.history')[0].tags.count, 3, '~> onStart ran with the arguments');
});
decorators.run();
