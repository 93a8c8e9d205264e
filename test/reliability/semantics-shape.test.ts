/**
 * C2 (35–38, 41, 42, 44): what traced functions look like from outside: `this`, parameters and `arguments`,
 * constructors and `new.target`, name/length/kind/own properties, module shapes, stacked decorators and stack
 * traces. Each fixture is compiled plain and with the plugin; every observation must be the plain one.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultCounts, resetFaults } from '../../src/runtime/safe';
import { setTracer } from '../../src/runtime/tracer';
import { compileFile, formatDiagnostic, ROOT } from '../helpers/compile';
import { installRecordingTracer, type RecordingTracer } from '../helpers/mock-tracer';
import { buildPair, FIXTURES, TRACE_ALL, type Pair } from './support';

const MODES = ['plain', 'traced, no tracer', 'traced, recording'] as const;
type Mode = (typeof MODES)[number];

/** Runs `observe` on a fresh module in each mode; every mode must see what plain sees. Returns the recording tracer. */
async function same<T>(pair: Pair<T>, observe: (mod: T) => unknown): Promise<RecordingTracer> {
  let expected: unknown;
  let recording: RecordingTracer | undefined;
  for (const mode of MODES) {
    setTracer(undefined);
    resetFaults();
    const tracer = mode === 'traced, recording' ? installRecordingTracer() : undefined;
    const seen = await observe(mode === 'plain' ? pair.plain() : pair.traced());
    if (mode === 'plain') expected = seen;
    else assert.equal(seen, expected, `~> ${mode}: same as plain`);
    assert.equal(faultCounts(), {}, `~> ${mode}: no tracing fault`);
    recording = tracer ?? recording;
  }
  setTracer(undefined);
  for (const span of recording!.started) assert.is(span.finishCount, 1, `~> ${span.name} finished once`);
  return recording!;
}

/** `value`, or `threw <Name>: <message>`. */
function attempt(fn: () => unknown): string {
  try {
    return String(fn());
  } catch (error) {
    return `threw ${(error as Error).name}: ${(error as Error).message}`;
  }
}

type Receivers = typeof import('./fixtures/receivers');
const receivers = buildPair<Receivers>('receivers', 'receivers.ts');

const c35 = suite('C2.35 this');
c35('C2.35 this: a 40-case table (8 function shapes × 5 ways to call) plus accessors is the plain table', async () => {
  const tracer = await same(receivers, (m) => {
    const base = new m.Base();
    const derived = new m.Derived();
    const other = { id: 'other' };
    type Target = { readonly name: string; readonly fn: (...a: unknown[]) => unknown; readonly owner: unknown };
    const targets: Target[] = [
      { name: 'function', fn: m.report, owner: undefined },
      { name: 'method', fn: base.method, owner: base },
      { name: 'super.method', fn: derived.method, owner: derived },
      { name: 'static', fn: m.Base.stat, owner: m.Base },
      { name: 'class-field arrow', fn: base.field, owner: base },
      { name: 'arrow inside method', fn: base.arrowMethod, owner: base },
      { name: '#private via method', fn: base.callSecret, owner: base },
      { name: 'object literal method', fn: m.literal.method, owner: m.literal },
    ];
    const table: Record<string, string> = {};
    for (const { name, fn, owner } of targets) {
      table[`${name} on its owner`] = attempt(() => (owner === undefined ? fn() : fn.call(owner)));
      table[`${name} .call(other)`] = attempt(() => fn.call(other));
      table[`${name} .apply(other)`] = attempt(() => fn.apply(other, []));
      table[`${name} .bind(other)()`] = attempt(() => fn.bind(other)());
      table[`${name} detached`] = attempt(() => fn());
    }
    table['literal arrow'] = attempt(() => m.literal.arrow());
    table['getter'] = attempt(() => base.prop);
    table['derived getter via super'] = attempt(() => derived.prop);
    table['getter via Reflect.get with receiver'] = attempt(() => Reflect.get(m.Base.prototype, 'prop', other));
    base.prop = 'v';
    table['setter'] = base.seen;
    Reflect.set(m.Base.prototype, 'prop', 'w', other);
    table['setter via Reflect.set with receiver'] = (other as { seen?: string }).seen ?? 'unset';
    assert.is(Object.keys(table).length, 46);
    return table;
  });
  assert.ok(tracer.started.length >= 40, `~> the calls were traced (${tracer.started.length} spans)`);
  assert.ok(tracer.byName('get Base.prop').length > 0, '~> accessors too');
});
c35.run();

type Parameters = typeof import('./fixtures/parameters');
type Sloppy = { alias(a: unknown, b?: unknown): string; calleeName(): string; thisOf(): string };
const parameters = buildPair<Parameters>('parameters', 'parameters.ts');
const sloppy = buildPair<Sloppy>('sloppy', 'sloppy.ts', TRACE_ALL, { strict: false, alwaysStrict: false });

const c36 = suite('C2.36 arguments and parameters');
c36('C2.36 arguments.length, defaults evaluated once and in order, TDZ errors, rest and destructuring are the plain ones', async () => {
  await same(parameters, (m) => {
    const out: Record<string, unknown> = {};
    m.order.length = 0;
    out.count0 = m.count();
    out.count1 = m.count(1);
    out.countUndefined = m.count(undefined, undefined);
    out.count3 = (m.count as (...a: unknown[]) => string)(1, 2, 3);
    out.defaults = m.defaults();
    out.defaultsGiven = m.defaults(5);
    out.defaultsOrder = [...m.order];
    out.tdz = attempt(() => m.tdz());
    out.tdzGiven = m.tdz(1, 2);
    out.rest = m.rest(1, 2, 3);
    out.restNone = m.rest(1);
    out.destructure = m.destructure({ x: 1 }, [5]);
    out.destructureDefault = attempt(() => (m.destructure as (...a: unknown[]) => string)({ x: 1 }));
    out.destructureNull = attempt(() => (m.destructure as (...a: unknown[]) => string)(null));
    const throwing = Object.defineProperty({}, 'x', { get: () => { throw new RangeError('x getter'); } });
    out.destructureThrowingGetter = attempt(() => m.destructure(throwing as { x: number }));
    const hostile = new Proxy([], { get: () => { throw new SyntaxError('iterator'); } });
    out.destructureThrowingIterator = attempt(() => m.destructure({ x: 1 }, hostile));
    out.arrowDefaults = m.arrowDefaults();
    out.mutateArguments = m.mutateArguments(1);
    out.order = [...m.order];
    return out;
  });
});
c36('C2.36 sloppy mode: arguments and parameters alias each other, arguments.callee and this are the plain ones', async () => {
  const tracer = await same(sloppy, (m) => [m.alias('a', 'b'), m.alias('a'), m.calleeName(), m.thisOf()]);
  assert.is(tracer.byName('alias').length, 2, '~> the sloppy functions were traced');
});
c36.run();

type Constructors = typeof import('./fixtures/constructors');
const constructors = buildPair<Constructors>('constructors', 'constructors.ts');

const c37 = suite('C2.37 new.target and constructors');
c37('C2.37 a traced function constructor with and without new, Reflect.construct, prototype identity and instanceof', async () => {
  await same(constructors, (m) => {
    const Point = m.Point as unknown as { new (x: number): { x: number; kind: string; describe(): string }; (x: number): unknown; prototype: object };
    const p = new Point(3);
    const viaReflect = Reflect.construct(Point, [4], m.Other) as { x: number; kind: string };
    const made = new (m.factory as unknown as new (x: number) => { made: number })(5);
    const shape = new m.Shape(3);
    const square = new m.Square();
    return {
      called: Point(1),
      constructed: [p.x, p.kind, p.describe(), p instanceof Point, Object.getPrototypeOf(p) === Point.prototype],
      reflect: [viaReflect.x, viaReflect.kind, viaReflect instanceof m.Other, viaReflect instanceof Point],
      returnedObject: [made.made, made instanceof (m.factory as unknown as new () => object)],
      classes: [shape.made, square.made, square.sides, square instanceof m.Shape, square.build().made, square.build() instanceof m.Square],
      prototypeIdentity: Point.prototype === (m.Point as unknown as { prototype: object }).prototype && Point.prototype.constructor === Point,
      classCalledWithoutNew: attempt(() => (m.Shape as unknown as (n: number) => unknown)(1)),
    };
  });
});
c37.run();

type Shapes = typeof import('./fixtures/shapes');
const shapes = buildPair<Shapes>('shapes', 'shapes.ts', TRACE_ALL, { esModuleInterop: true });

/**
 * name, length, typeof, kind, own property names, displayName and the head of its source up to the body. (The
 * rest of `toString()` differs by design: it shows the instrumented body, and a concise arrow gets a block.)
 */
function shapeOf(fn: unknown): string {
  if (typeof fn !== 'function') return typeof fn;
  const f = fn as ((...a: unknown[]) => unknown) & { displayName?: string };
  const own = Object.getOwnPropertyNames(f).sort().join(',');
  const proto = Object.getOwnPropertyNames(f.prototype ?? {}).sort().join(',');
  const head = /^[^{]*?(=>|\{)/.exec(f.toString())?.[0];
  return `${typeof f} ${Object.getPrototypeOf(f).constructor.name} name=${JSON.stringify(f.name)} length=${f.length} own=[${own}] prototype=[${proto}] displayName=${f.displayName} head: ${head}`;
}

const c38 = suite('C2.38 function shape');
c38('C2.38 name, length, typeof, kind, own properties and the source head are the plain ones for every fixture function', async () => {
  await same(shapes, (m) => {
    const table: Record<string, string> = {};
    for (const [key, value] of Object.entries(m)) if (typeof value === 'function') table[key] = shapeOf(value);
    for (const key of Reflect.ownKeys(m.Shapes.prototype)) {
      const d = Object.getOwnPropertyDescriptor(m.Shapes.prototype, key)!;
      for (const part of ['value', 'get', 'set'] as const) if (d[part]) table[`Shapes.prototype[${String(key)}].${part}`] = shapeOf(d[part]);
    }
    table['Shapes.staticOne'] = shapeOf(m.Shapes.staticOne);
    table['withDisplayName.meta'] = JSON.stringify((m.withDisplayName as unknown as { meta: unknown }).meta);
    table['mocha style'] = `${m.mochaAsync.length === 1 ? 'async' : 'sync'} ${m.mochaSync.length === 1 ? 'async' : 'sync'}`;
    assert.ok(Object.keys(table).length >= 18, `~> ${Object.keys(table).length} functions compared`);
    return table;
  });
});
c38('C2.38 express still calls a traced (err, req, res, next) middleware as its error handler', async () => {
  const express = require('express') as typeof import('express');
  await same(shapes, async (m) => {
    const app = express();
    app.get('/fail', m.route);
    app.use(m.errorMiddleware);
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/fail`);
      return [response.status, await response.text()];
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
c38.run();

type ModuleShape = typeof import('./fixtures/module-shape');
const moduleShape = buildPair<ModuleShape>('module-shape', ['module-shape.ts', 'receivers.ts'], TRACE_ALL, { lib: ['ES2022', 'esnext.disposable'] });
type ModuleEquals = ((x: number) => number) & { helper(): string };
const moduleEquals = buildPair<ModuleEquals>('module-equals', 'module-equals.ts');

const c41 = suite('C2.41 hoisting and module shape');
c41('C2.41 declarations used before they appear, default export, overloads, declare, abstract, re-exports and using behave as plain', async () => {
  const tracer = await same(moduleShape, (m) => ({
    early: m.early,
    defaultExport: m.default(1),
    overloads: [m.overloaded('a'), m.overloaded(1)],
    ambient: m.usesAmbient(),
    abstract: new m.Dog().speak(),
    renamed: m.renamed(3),
    reexports: [m.label({ id: 'x' }), typeof m.receivers.report, Object.keys(m).sort().join(',')],
    using: [m.useResource('r1'), [...m.disposedLog()]],
  }));
  assert.ok(tracer.byName('useResource').length === 1, '~> the function with `using` was traced');
});
c41('C2.41 export = keeps the function and its namespace members', async () => {
  await same(moduleEquals, (m) => [typeof m, m(2), m.helper(), m.name, m.length]);
});
/** Every fixture with the compiler options its build uses. */
const CORPUS: readonly [string, Record<string, unknown>][] = [
  ['values.ts', {}], ['generators.ts', {}], ['recursion.ts', {}], ['callbacks.ts', {}], ['ordering.ts', {}],
  ['receivers.ts', {}], ['parameters.ts', {}], ['sloppy.ts', { strict: false, alwaysStrict: false }], ['constructors.ts', {}],
  ['shapes.ts', { esModuleInterop: true }], ['module-shape.ts', { lib: ['ES2022', 'esnext.disposable'] }], ['module-equals.ts', {}],
  ['decorators-legacy.ts', { experimentalDecorators: true, emitDecoratorMetadata: true }], ['decorators-standard.ts', { lib: ['ES2022', 'esnext.decorators'] }],
  ['stacks.ts', {}],
];
c41('C2.41 on the whole fixture corpus the plugin adds no diagnostic and TypeScript reports the plain set', () => {
  for (const [file, compilerOptions] of CORPUS) {
    const fileName = join(FIXTURES, file);
    const options = { ...compilerOptions, module: 'CommonJS' };
    const plain = compileFile({ fileName, pluginOptions: null, compilerOptions: options });
    const traced = compileFile({ fileName, pluginOptions: TRACE_ALL, compilerOptions: options });
    assert.equal(traced.diagnostics.map((d) => formatDiagnostic(d, ROOT)), [], `~> ${file}: no plugin diagnostic`);
    const texts = (c: typeof plain) => c.typeErrors.map((d) => formatDiagnostic(d, ROOT));
    assert.equal(texts(traced), texts(plain), `~> ${file}: same TypeScript diagnostics`);
    assert.ok(traced.js.includes('__traced.v1.enter'), `~> ${file}: something was instrumented`);
  }
});
c41.run();

/** decorators-legacy.ts's exports (declared here: it needs experimentalDecorators, which this project's tsconfig is not). */
interface Legacy {
  readonly order: string[];
  readonly Dependency: new () => object;
  readonly Service: { new (dependency: object): { work(a: number, b: object): string; first(): string }; prototype: object };
}
type Standard = typeof import('./fixtures/decorators-standard');
const legacy = buildPair<Legacy>('decorators-legacy', 'decorators-legacy.ts', TRACE_ALL, { experimentalDecorators: true, emitDecoratorMetadata: true });
const standard = buildPair<Standard>('decorators-standard', 'decorators-standard.ts', TRACE_ALL, { lib: ['ES2022', 'esnext.decorators'] });

const c42 = suite('C2.42 stacked decorators');
c42('C2.42 legacy decorators above and below @traced apply and run in the plain order; design:paramtypes is kept', async () => {
  const tracer = await same(legacy, (m) => {
    const service = new m.Service(new m.Dependency());
    const result = [service.work(1, new m.Dependency()), service.first()];
    const reflect = Reflect as unknown as { getMetadata(key: string, target: object, property?: string): unknown[] };
    const names = (list: unknown[] | undefined) => (list ?? []).map((t) => (t as { name: string }).name);
    return {
      result,
      order: [...m.order],
      methodParamtypes: names(reflect.getMetadata('design:paramtypes', m.Service.prototype, 'work')),
      returntype: (reflect.getMetadata('design:returntype', m.Service.prototype, 'work') as unknown as { name: string }).name,
      constructorParamtypes: names(reflect.getMetadata('design:paramtypes', m.Service)),
    };
  });
  assert.ok(tracer.byName('Service.work').length + tracer.byName('Service.first').length >= 2, '~> the decorated methods were traced');
});
c42('C2.42 TC39 decorators above and below @traced apply and run in the plain order; Symbol.metadata is kept', async () => {
  const tracer = await same(standard, (m) => {
    const s = new m.Standard();
    return { result: [s.work(2), s.after()], order: [...m.order], metadata: { ...(m.metadataOf() as object) } };
  });
  assert.ok(tracer.byName('Standard.after').length === 1, '~> the decorated methods were traced');
});
c42.run();

type Stacks = typeof import('./fixtures/stacks');
const stacks = buildPair<Stacks>('stacks', 'stacks.ts');

/** The stack's frames from the throw down to (not including) this test file, source-mapped. */
function userFrames(error: unknown): string[] {
  const lines = String((error as Error).stack).split('\n').slice(1).map((l) => l.trim());
  const end = lines.findIndex((l) => l.includes('semantics-shape.test.ts'));
  return lines.slice(0, end === -1 ? lines.length : end);
}

const c44 = suite('C2.44 source maps and stacks');
c44.before(() => process.setSourceMapsEnabled(true));
c44.after(() => process.setSourceMapsEnabled(false));
c44('C2.44 err.stack maps to the same file:line:col and has the same frames (no extra frame) as plain', async () => {
  await same(stacks, async (m) => {
    const sync = (() => {
      try {
        m.callsThrower();
      } catch (error) {
        return userFrames(error);
      }
    })();
    const asynchronous = await m.rejectsHere().catch((error: unknown) => userFrames(error));
    assert.match(sync![0], /fixtures\/stacks\.ts:3:9\)$/, `~> top frame maps to the throw: ${sync![0]}`);
    return { sync, asynchronous };
  });
});
c44.run();
