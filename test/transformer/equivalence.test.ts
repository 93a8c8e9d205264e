/**
 * Instrumented code behaves as the original. The modules in ./equivalence are compiled twice to CommonJS,
 * plain (tsc, no plugin) and instrumented (the plugin), and each script below runs on the plain build, on the
 * instrumented build with no tracer and on the instrumented build recording spans: the three transcripts must be
 * identical. Then the spans of the recording run are checked. Numbers in titles are RELIABILITY.md case ids.
 */
import { join } from 'node:path';
import { inspect } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { build, loadFresh, type Module } from '../helpers/exec';
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

type Log = (...values: unknown[]) => void;
type Script<M> = (m: M, log: Log) => unknown;

/** A value as a transcript line: errors by class and message (stacks differ by design), the rest inspected. */
function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value instanceof Error) return `${value.constructor.name}(${JSON.stringify(value.message)})`;
  if (typeof value === 'function') {
    return `${Object.getPrototypeOf(value)?.constructor?.name} ${JSON.stringify(value.name)}/${value.length}`;
  }
  return inspect(value, { depth: 4, sorted: true });
}

async function transcript<M>(dir: string, module: string, script: Script<M>): Promise<string[]> {
  const lines: string[] = [];
  const m = loadFresh<M>(dir, module);
  await script(m, (...values) => lines.push(values.map(show).join(' ')));
  return lines;
}

/**
 * Runs `script` three ways and asserts one transcript; returns the tracer of the recording run, whose spans have
 * all been finished exactly once.
 */
async function same<M>(module: string, script: Script<M>): Promise<RecordingTracer> {
  setTracer(undefined);
  const expected = await transcript(PLAIN, module, script);
  assert.ok(expected.length > 0, '~> the script logs something');
  assert.equal(await transcript(TRACED, module, script), expected, '~> instrumented without a tracer: same transcript');
  const tracer = installRecordingTracer();
  try {
    assert.equal(await transcript(TRACED, module, script), expected, '~> instrumented and recording: same transcript');
  } finally {
    setTracer(undefined);
  }
  for (const span of tracer.started) assert.is(span.finishCount, 1, `~> ${span.name} finished exactly once`);
  return tracer;
}

/** Calls `fn` and logs what came out: the value, or what was thrown. */
function outcome(log: Log, label: string, fn: () => unknown): void {
  try {
    log(label, 'returned', fn());
  } catch (e) {
    log(label, 'threw', e);
  }
}

const paths = (t: RecordingTracer) => t.finished().map((s) => s.path);
const errored = (s: RecordedSpan) => s.tags.error === true;

type Functions = typeof import('./equivalence/functions');
type Generators = typeof import('./equivalence/generators');
type Async = typeof import('./equivalence/async');
type Decorators = typeof import('./equivalence/decorators');
type Cycle = typeof import('./equivalence/cycle-a');

const sync = suite('sync functions');

sync('return values and thrown values are the very same (27)', async () => {
  const tracer = await same<Functions>('functions', (m, log) => {
    log(m.add(1), m.add(1, 2));
    const frozen = Object.freeze({ frozen: true });
    const hostile = new Proxy({}, { get: () => { throw new Error('proxy get'); } });
    const badMessage = new Error('x');
    Object.defineProperty(badMessage, 'message', { get: () => { throw new Error('message getter'); } });
    const values: unknown[] = [new Error('e'), new RangeError('r'), undefined, null, 42, 'str', Symbol.for('s'), frozen, hostile, badMessage];
    for (const value of values) {
      try {
        m.thrower(value);
      } catch (e) {
        log('same thrown value', e === value);
      }
    }
  });
  assert.equal(tracer.finished().filter(errored).length, 10, '~> every throw tagged the span');
});

sync('nested calls, catches and rethrows; spans nest under the caller (27)', async () => {
  const tracer = await same<Functions>('functions', (m, log) => {
    outcome(log, 'nested(1)', () => m.nested(1));
    outcome(log, 'nested(3)', () => m.nested(3));
    log(m.outer());
  });
  assert.equal(paths(tracer).slice(-3), ['outer', 'outer > inner', 'outer > inner'], '~> outer > inner twice');
  const nested = tracer.byName('nested');
  assert.equal(nested.map((s) => s.path.split(' > ').length), [1, 2, 1, 2, 3, 4], '~> recursive spans nest');
  assert.equal(nested.map(errored), [true, true, false, false, true, true], '~> error tag on every frame the error left');
});

sync('default parameters run once, in order; TDZ errors are the same (36)', async () => {
  await same<Functions>('functions', (m, log) => {
    log(m.withDefaults());
    log(m.withDefaults('x', { b: 'y' }, 'r', 's'));
    outcome(log, 'withDefaults(null)', () => m.withDefaults(undefined, null as never));
    const hostile = { get b(): string { throw new TypeError('getter'); } };
    outcome(log, 'withDefaults(throwing getter)', () => m.withDefaults('a', hostile));
    outcome(log, 'tdz', () => m.tdz());
  });
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
  await same<Functions>('functions', (m, log) => {
    const seen: unknown[] = [];
    m.callback((error, value) => seen.push(error ?? value), false);
    m.callback((error, value) => seen.push(error ?? value), true);
    log(seen);
  });
});
sync.run();

const shape = suite('function shape');

shape('name, length, kind, prototype and own keys are unchanged (38)', async () => {
  const describe = (fn: unknown): string => {
    const f = fn as (...a: unknown[]) => unknown;
    return `${show(f)} typeof=${typeof f} prototype=${Object.prototype.hasOwnProperty.call(f, 'prototype')} keys=${Reflect.ownKeys(f).map(String).join(',')}`;
  };
  await same<Functions & Generators & Async>('functions', (m, log) => {
    for (const [name, value] of Object.entries(m)) if (typeof value === 'function') log(name, describe(value));
    log('Derived.prototype.describe', describe(m.Derived.prototype.describe));
    log('object.method', describe(m.object.method), 'object.arrow', describe(m.object.arrow));
    const secret = Object.getOwnPropertyDescriptor(m.Derived.prototype, 'secret')!;
    log('accessors', describe(secret.get), describe(secret.set));
    log('field arrow', describe(new m.Derived('d').handler));
  });
  for (const module of ['generators', 'async'] as const) {
    await same<Record<string, unknown>>(module, (m, log) => {
      for (const [name, value] of Object.entries(m)) if (typeof value === 'function') log(name, describe(value));
    });
  }
});
shape.run();

const self = suite('this, arguments, super, new.target');

self('call, apply, bind and method calls see the same this and arguments (35, 36)', async () => {
  await same<Functions>('functions', (m, log) => {
    log(m.args(), m.args.call('s', 1, 2), m.args.apply(42, [1, 2, 3]), m.args.bind(null, 'bound')('x'));
    log(m.object.method(), m.object.arrow());
    outcome(log, 'unbound method', () => (0, m.object.method)());
  });
});

self('super, private methods, static members, accessors and field arrows (35)', async () => {
  await same<Functions>('functions', (m, log) => {
    const d = m.Derived.create('d');
    log(d instanceof m.Derived, m.Derived.count, d.describe(), d.describe());
    log(d.secret);
    d.secret = 7;
    log(d.secret);
    outcome(log, 'negative secret', () => {
      d.secret = -1;
    });
    const { handler } = d;
    log(handler('!'), handler.call({ label: 'other' }, '?'));
    outcome(log, 'describe on a plain object', () => m.Derived.prototype.describe.call({ label: 'plain' }));
  });
});

self('new.target and constructors: with and without new, Reflect.construct (37)', async () => {
  await same<Functions>('functions', (m, log) => {
    const C = m.Constructed as unknown as { new (l: string): { made: string }; (l: string): unknown; prototype: object };
    log(C('plain call'), new C('new'), Reflect.construct(C, ['reflect'], class Other {}));
    log(new C('x') instanceof C, Object.getPrototypeOf(new C('y')) === C.prototype);
  });
});

self('sloppy mode: arguments alias parameters; this of a plain call is the global object (36)', async () => {
  const script: Script<unknown> = (_, log) => {
    const { alias, thisOfPlainCall } = (globalThis as Record<string, any>).sloppyModule;
    log(alias('original'), alias('one', 'two'), thisOfPlainCall());
  };
  await same('sloppy', script);
});
self.run();

const generators = suite('generators');

generators('next, return, throw, exhaustion and delegation give the same results (32)', async () => {
  const tracer = await same<Generators>('generators', (m, log) => {
    log([...m.count(3)]);
    const it = m.count(10);
    log(it.next(), it.next(4), it.next(), it.return('early'), it.next());
    const thrown = m.count(10);
    thrown.next();
    log(thrown.throw(new Error('into')), thrown.next());
    const d = m.delegate();
    log(d.next(), d.next('sent'), d.next(), d.next(), d.next());
    for (const n of m.count(5)) if (n === 2) break;
    log(m.effects);
  });
  assert.equal(tracer.byName('count').length, 4, '~> one span per iterated generator');
});

generators('a generator that is never iterated runs nothing and starts no span (32)', async () => {
  const tracer = await same<Generators>('generators', (m, log) => {
    const idle = m.count(1);
    log(typeof idle.next, m.effects.length);
  });
  assert.is(tracer.started.length, 0, '~> no span before the first next()');
});

generators('async generators: for await, early break, return() and rejection (33)', async () => {
  const tracer = await same<Generators>('generators', async (m, log) => {
    const pages: string[] = [];
    for await (const p of m.pages(3)) pages.push(p);
    log(pages);
    for await (const p of m.pages(5)) if (p === 'page 2') break;
    const it = m.pages(5);
    log(await it.next(), await it.next(true), await it.next());
    const early = m.pages(5);
    await early.next();
    log(await early.return('gone'), await early.next());
    const relayed: unknown[] = [];
    for await (const v of m.relay()) relayed.push(v);
    log(relayed);
    try {
      for await (const v of m.failing()) log('failing yielded', v);
    } catch (e) {
      log('failing threw', e);
    }
    log(m.effects);
  });
  assert.equal(tracer.byName('failing').map(errored), [true], '~> the rejection is tagged');
});

generators('yield* and for await pick the iterator the engine picks; non-iterables fail with a TypeError', async () => {
  await same<Generators>('generators', async (m, log) => {
    log([...m.delegateSync(m.dual)], [...m.delegateSync('ab')]);
    const fromAsync: unknown[] = [];
    for await (const v of m.delegateAsync(m.dual)) fromAsync.push(v);
    for await (const v of m.delegateAsync([Promise.resolve('awaited')])) fromAsync.push(v);
    log(fromAsync, await m.loopAsync(m.dual), await m.loopAsync(['x', Promise.resolve('y')]));
    // The class only: V8 writes the operand's source text into the message ("x is not iterable"), and the
    // operand is now the helper call. Where, and what is thrown, are the same.
    const kind = (e: unknown) => (e as Error).constructor.name;
    for (const bad of [undefined, null, 42, {}, { [Symbol.iterator]: 1 }]) {
      try {
        [...m.delegateSync(bad)];
      } catch (e) {
        log('yield*', String(bad), kind(e));
      }
      await m.loopAsync(bad).catch((e: unknown) => log('for await', String(bad), kind(e)));
      await m.delegateAsync(bad).next().catch((e: unknown) => log('async yield*', String(bad), kind(e)));
    }
  });
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
  const tracer = await same<Async>('async', async (m, log) => {
    for (const value of [new Error('e'), undefined, null, 0, 'str', Symbol.for('s'), { reason: 1 }]) {
      await m.rejectWith(value).then(
        () => log('fulfilled'),
        (reason: unknown) => log('same reason', reason === value),
      );
    }
  });
  assert.equal(tracer.byName('rejectWith').map(errored), Array(7).fill(true), '~> every rejection tagged');
});

asyncs('an interleaving of concurrent promise chains is the same, step for step (40)', async () => {
  const tracer = await same<Async>('async', async (m, log) => {
    const order: string[] = [];
    const spin = async (label: string) => {
      for (let i = 0; i < 8; i++) {
        await null;
        order.push(`${label} ${i}`);
      }
    };
    const slow = m.delayed('slow', 5);
    const chains = [
      m.work('A', order).then((v) => order.push(`${v} settled`)),
      spin('spin'),
      m.plainWork('P', order).then((v) => order.push(`${v} settled`)),
      m.work('B', order).then((v) => order.push(`${v} settled`)),
      m.adopt('adopted').then((v) => order.push(v)),
      m.arrow(2).then((v) => order.push(`arrow ${v}`)),
      Promise.race([slow, m.delayed('fast', 1)]).then((v) => order.push(`race ${v}`)),
      m.rejectLater('late').catch((e: Error) => order.push(`caught ${e.message}`)),
    ];
    queueMicrotask(() => order.push('microtask'));
    process.nextTick(() => order.push('nextTick'));
    await Promise.all([...chains, slow]);
    log(order);
  });
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
  await same<Async>('async', (m, log) => {
    const p = m.work('k', []);
    log(m.work.constructor.name, m.arrow.constructor.name, p instanceof Promise, Object.getPrototypeOf(p) === Promise.prototype);
    return p;
  });
});
asyncs.run();

const promises = suite('sync functions returning promises');

promises('the very same object comes back; then is called as often as without tracing (30)', async () => {
  const tracer = await same<Async>('async', async (m, log) => {
    const never = m.startLazy('never awaited');
    await new Promise((r) => setImmediate(r));
    log('unawaited lazy then calls', never.thenCalls);
    const lazy = m.startLazy('lazy');
    log(await lazy, 'then calls', lazy.thenCalls);
    const special = m.startSpecial('special');
    log(special instanceof m.Special, await special);
    const native = Promise.resolve('native');
    log(m.startPromise(native) === native);
  });
  const lazy = tracer.byName('startLazy');
  assert.equal(lazy.map((s) => s.tags['traced.promise']), ['not-followed', 'not-followed'], '~> a lazy thenable is not followed');
});

promises('unhandled rejections are the same: one when unhandled, none when handled (29)', async () => {
  const count = async (run: () => void): Promise<number> => {
    let n = 0;
    const on = () => n++;
    process.on('unhandledRejection', on);
    try {
      run();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('unhandledRejection', on);
    }
    return n;
  };
  await same<Async>('async', async (m, log) => {
    log('sync, unhandled', await count(() => void m.startRejected('a')));
    log('sync, handled', await count(() => void m.startRejected('b').catch(() => undefined)));
    log('async, unhandled', await count(() => void m.rejectLater('c')));
    log('async, handled', await count(() => void m.rejectLater('d').then(undefined, () => undefined)));
  });
});
promises.run();

const modules = suite('module loading');

modules('a traced function called through an import cycle while its module loads (41)', async () => {
  const tracer = await same<Cycle>('cycle-a', (m, log) => log(m.result, m.double(1)));
  assert.equal(tracer.finished().map((s) => s.name), ['double', 'double'], '~> both calls traced');
});
modules.run();

const decorators = suite('@traced decorators');

decorators('decorated methods behave as the methods the run-time decorator wraps (42)', async () => {
  const tracer = await same<Decorators>('decorators', async (m, log) => {
    const account = m.Account.open();
    log(account.deposit(10), account.balance);
    outcome(log, 'deposit(0)', () => account.deposit(0));
    log(await account.withdraw(4));
    await account.withdraw(100).catch((e: unknown) => log('withdraw(100) rejected', e));
    log([...account.history(3)]);
    log(m.Account.prototype.deposit.name, m.Account.prototype.deposit.length, m.Account.prototype.withdraw.constructor.name);
  });
  const [deposit] = tracer.byName('Account.deposit');
  assert.is(deposit.tags['arg.amount'], 10, '~> args recorded');
  assert.is(deposit.tags.component, 'accounts', '~> static tags');
  assert.is(tracer.byName('Account.history')[0].tags.count, 3, '~> onStart ran with the arguments');
});
decorators.run();
