/**
 * The equivalence scripts: each runs on a module of this folder, loaded fresh, and logs what it sees. Every
 * pipeline's output must log the transcript the plain (tsc) build logs. Shared by
 * test/transformer/equivalence.test.ts (in process) and test/pipelines/equivalence.test.ts (in child processes,
 * through test/pipelines/equivalence-runner.ts). Numbers in the doc comments are RELIABILITY.md case ids.
 */
import { inspect } from 'node:util';

export type Log = (...values: unknown[]) => void;
export type Script<M> = (m: M, log: Log) => unknown;
/** A script and the module (file name without extension) it runs on. */
export interface Case<M> {
  readonly module: string;
  readonly script: Script<M>;
}

type Functions = typeof import('./functions');
type Generators = typeof import('./generators');
type Async = typeof import('./async');
type Decorators = typeof import('./decorators');
type Cycle = typeof import('./cycle-a');

/** A value as a transcript line: errors by class and message (stacks differ by design), the rest inspected. */
export function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value instanceof Error) return `${value.constructor.name}(${JSON.stringify(value.message)})`;
  if (typeof value === 'function') {
    return `${Object.getPrototypeOf(value)?.constructor?.name} ${JSON.stringify(value.name)}/${value.length}`;
  }
  return inspect(value, { depth: 4, sorted: true });
}

/** Calls `fn` and logs what came out: the value, or what was thrown. */
function outcome(log: Log, label: string, fn: () => unknown): void {
  try {
    log(label, 'returned', fn());
  } catch (e) {
    log(label, 'threw', e);
  }
}

/** A function's observable shape: kind, name, length, prototype and own keys. */
function describe(fn: unknown): string {
  const f = fn as (...a: unknown[]) => unknown;
  return `${show(f)} typeof=${typeof f} prototype=${Object.prototype.hasOwnProperty.call(f, 'prototype')} keys=${Reflect.ownKeys(f).map(String).join(',')}`;
}

function logFunctionShapes(m: Record<string, unknown>, log: Log): void {
  for (const [name, value] of Object.entries(m)) if (typeof value === 'function') log(name, describe(value));
}

/** How many unhandled rejections `run` causes. */
async function count(run: () => void): Promise<number> {
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
}

export const CASES = {
  /** return values and thrown values are the very same (27) */
  values: {
    module: 'functions',
    script: (m, log) => {
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
    },
  } as Case<Functions>,
  /** nested calls, catches and rethrows; spans nest under the caller (27) */
  nested: {
    module: 'functions',
    script: (m, log) => {
      outcome(log, 'nested(1)', () => m.nested(1));
      outcome(log, 'nested(3)', () => m.nested(3));
      log(m.outer());
    },
  } as Case<Functions>,
  /** default parameters run once, in order; TDZ errors are the same (36) */
  defaults: {
    module: 'functions',
    script: (m, log) => {
      log(m.withDefaults());
      log(m.withDefaults('x', { b: 'y' }, 'r', 's'));
      outcome(log, 'withDefaults(null)', () => m.withDefaults(undefined, null as never));
      const hostile = { get b(): string { throw new TypeError('getter'); } };
      outcome(log, 'withDefaults(throwing getter)', () => m.withDefaults('a', hostile));
      outcome(log, 'tdz', () => m.tdz());
    },
  } as Case<Functions>,
  /** a callback called twice reaches the caller twice, synchronously (39) */
  callback: {
    module: 'functions',
    script: (m, log) => {
      const seen: unknown[] = [];
      m.callback((error, value) => seen.push(error ?? value), false);
      m.callback((error, value) => seen.push(error ?? value), true);
      log(seen);
    },
  } as Case<Functions>,
  /** name, length, kind, prototype and own keys are unchanged (38) */
  shapeFunctions: {
    module: 'functions',
    script: (m, log) => {
      for (const [name, value] of Object.entries(m)) if (typeof value === 'function') log(name, describe(value));
      log('Derived.prototype.describe', describe(m.Derived.prototype.describe));
      log('object.method', describe(m.object.method), 'object.arrow', describe(m.object.arrow));
      const secret = Object.getOwnPropertyDescriptor(m.Derived.prototype, 'secret')!;
      log('accessors', describe(secret.get), describe(secret.set));
      log('field arrow', describe(new m.Derived('d').handler));
    },
  } as Case<Functions>,
  /** name, length, kind, prototype and own keys are unchanged (38): generators */
  shapeGenerators: {
    module: 'generators',
    script: logFunctionShapes,
  } as Case<Record<string, unknown>>,
  /** name, length, kind, prototype and own keys are unchanged (38): async functions */
  shapeAsync: {
    module: 'async',
    script: logFunctionShapes,
  } as Case<Record<string, unknown>>,
  /** call, apply, bind and method calls see the same this and arguments (35, 36) */
  thisArgs: {
    module: 'functions',
    script: (m, log) => {
      log(m.args(), m.args.call('s', 1, 2), m.args.apply(42, [1, 2, 3]), m.args.bind(null, 'bound')('x'));
      log(m.object.method(), m.object.arrow());
      outcome(log, 'unbound method', () => (0, m.object.method)());
    },
  } as Case<Functions>,
  /** super, private methods, static members, accessors and field arrows (35) */
  classes: {
    module: 'functions',
    script: (m, log) => {
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
    },
  } as Case<Functions>,
  /** new.target and constructors: with and without new, Reflect.construct (37) */
  construct: {
    module: 'functions',
    script: (m, log) => {
      const C = m.Constructed as unknown as { new (l: string): { made: string }; (l: string): unknown; prototype: object };
      log(C('plain call'), new C('new'), Reflect.construct(C, ['reflect'], class Other {}));
      log(new C('x') instanceof C, Object.getPrototypeOf(new C('y')) === C.prototype);
    },
  } as Case<Functions>,
  /** sloppy mode: arguments alias parameters; this of a plain call is the global object (36) */
  sloppy: {
    module: 'sloppy',
    script: (_, log) => {
      const { alias, thisOfPlainCall } = (globalThis as Record<string, any>).sloppyModule;
      log(alias('original'), alias('one', 'two'), thisOfPlainCall());
    },
  } as Case<unknown>,
  /** next, return, throw, exhaustion and delegation give the same results (32) */
  generators: {
    module: 'generators',
    script: (m, log) => {
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
    },
  } as Case<Generators>,
  /** a generator that is never iterated runs nothing and starts no span (32) */
  idleGenerator: {
    module: 'generators',
    script: (m, log) => {
      const idle = m.count(1);
      log(typeof idle.next, m.effects.length);
    },
  } as Case<Generators>,
  /** async generators: for await, early break, return() and rejection (33) */
  asyncGenerators: {
    module: 'generators',
    script: async (m, log) => {
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
    },
  } as Case<Generators>,
  /** yield* and for await pick the iterator the engine picks; non-iterables fail with a TypeError */
  delegation: {
    module: 'generators',
    script: async (m, log) => {
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
    },
  } as Case<Generators>,
  /** rejection reasons are the very same values (28) */
  rejections: {
    module: 'async',
    script: async (m, log) => {
      for (const value of [new Error('e'), undefined, null, 0, 'str', Symbol.for('s'), { reason: 1 }]) {
        await m.rejectWith(value).then(
          () => log('fulfilled'),
          (reason: unknown) => log('same reason', reason === value),
        );
      }
    },
  } as Case<Async>,
  /** an interleaving of concurrent promise chains is the same, step for step (40) */
  interleaving: {
    module: 'async',
    script: async (m, log) => {
      const order: string[] = [];
      const spin = async (label: string) => {
        for (let i = 0; i < 8; i++) {
          await null;
          order.push(`${label} ${i}`);
        }
      };
      const slow = m.delayed('slow', 50); // far apart: a busy machine must not reorder the race
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
    },
  } as Case<Async>,
  /** kind and identity: AsyncFunction stays AsyncFunction, its promise is native (38) */
  asyncKind: {
    module: 'async',
    script: (m, log) => {
      const p = m.work('k', []);
      log(m.work.constructor.name, m.arrow.constructor.name, p instanceof Promise, Object.getPrototypeOf(p) === Promise.prototype);
      return p;
    },
  } as Case<Async>,
  /** the very same object comes back; then is called as often as without tracing (30) */
  promiseIdentity: {
    module: 'async',
    script: async (m, log) => {
      const never = m.startLazy('never awaited');
      await new Promise((r) => setImmediate(r));
      log('unawaited lazy then calls', never.thenCalls);
      const lazy = m.startLazy('lazy');
      log(await lazy, 'then calls', lazy.thenCalls);
      const special = m.startSpecial('special');
      log(special instanceof m.Special, await special);
      const native = Promise.resolve('native');
      log(m.startPromise(native) === native);
    },
  } as Case<Async>,
  /** unhandled rejections are the same: one when unhandled, none when handled (29) */
  unhandled: {
    module: 'async',
    script: async (m, log) => {
      log('sync, unhandled', await count(() => void m.startRejected('a')));
      log('sync, handled', await count(() => void m.startRejected('b').catch(() => undefined)));
      log('async, unhandled', await count(() => void m.rejectLater('c')));
      log('async, handled', await count(() => void m.rejectLater('d').then(undefined, () => undefined)));
    },
  } as Case<Async>,
  /** a traced function called through an import cycle while its module loads (41) */
  cycle: {
    module: 'cycle-a',
    script: (m, log) => log(m.result, m.double(1)),
  } as Case<Cycle>,
  /** decorated methods behave as the methods the run-time decorator wraps (42) */
  decorators: {
    module: 'decorators',
    script: async (m, log) => {
      const account = m.Account.open();
      log(account.deposit(10), account.balance);
      outcome(log, 'deposit(0)', () => account.deposit(0));
      log(await account.withdraw(4));
      await account.withdraw(100).catch((e: unknown) => log('withdraw(100) rejected', e));
      log([...account.history(3)]);
      log(m.Account.prototype.deposit.name, m.Account.prototype.deposit.length, m.Account.prototype.withdraw.constructor.name);
    },
  } as Case<Decorators>,
};
