/**
 * Selection from inline sources: which functions become sites, and with which name, kind, tags, args and
 * requireActive. Syntax only: every source is parsed with `ts.createSourceFile`, no Program.
 */
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteKind } from '../../src/contract';
import { defaultConfig } from '../../src/transformer/config/defaults';
import type { ResolvedConfig } from '../../src/transformer/config/types';
import { selectSites, type Selection } from '../../src/transformer/select/index';
import { parseJsDocMarker } from '../../src/transformer/select/jsdoc';

const ROOT = '/proj';

function select(
  source: string,
  config: Partial<ResolvedConfig> = {},
  fileName = `${ROOT}/src/app.ts`,
  parseOptions: ts.CreateSourceFileOptions | ts.ScriptTarget = ts.ScriptTarget.ES2022,
): Selection {
  const file = ts.createSourceFile(fileName, source, parseOptions, true, ts.ScriptKind.TS);
  return selectSites(ts, file, { ...defaultConfig(ROOT), ...config }, { projectRoot: ROOT });
}

/** The sites as plain data, in source order. */
function sites(source: string, config?: Partial<ResolvedConfig>, fileName?: string) {
  const selection = select(source, config, fileName);
  assert.equal(selection.diagnostics.map((d) => d.messageText), [], '~> no diagnostics');
  return [...selection.sites.values()].map((s) => ({
    name: s.name,
    kind: s.kind,
    fn: s.fn,
    ns: s.ns,
    line: s.line,
    by: s.selectedBy.by,
    requireActive: s.requireActive,
    ...(s.tags && { tags: s.tags }),
    ...(s.args && { args: s.args }),
    ...(s.needsArguments && { needsArguments: true }),
  }));
}
const names = (source: string, config?: Partial<ResolvedConfig>) => sites(source, config).map((s) => s.name);

const IMPORT = `import { traced, untraced } from 'ts-traced';\n`;

// ---------------------------------------------------------------------------------------------------------

const decorators = suite('selectSites: @traced decorator');

decorators('selects a decorated method as Class.method, sync, not requiring an active trace', () => {
  const source = `${IMPORT}class Orders {\n  @traced\n  place() {}\n  other() {}\n}`;
  assert.equal(sites(source), [
    { name: 'Orders.place', kind: SiteKind.sync, fn: 'place', ns: 'Orders', line: 4, by: 'decorator', requireActive: false },
  ]);
});

decorators('reads name, tags and requireActiveTrace from the options literal', () => {
  const source = `${IMPORT}class A {
  @traced({ name: 'a.run', tags: { component: 'billing', retries: 3, neg: -1, hot: true }, requireActiveTrace: true })
  run() {}
}`;
  const [site] = sites(source);
  assert.is(site!.name, 'a.run');
  assert.equal(site!.tags, { component: 'billing', retries: 3, neg: -1, hot: true });
  assert.is(site!.requireActive, true);
  assert.is(site!.fn, 'run', '~> fn stays the bare name');
});

decorators('resolves args to parameter positions, skipping a TypeScript `this` parameter', () => {
  const source = `${IMPORT}class Billing {
  @traced({ args: ['cents', 'invoiceId'] })
  async charge(this: Billing, invoiceId: string, cents = 0) {}
}`;
  const [site] = sites(source);
  assert.equal(site!.args, [
    { name: 'cents', index: 1 },
    { name: 'invoiceId', index: 0 },
  ]);
  assert.is(site!.needsArguments, true);
  assert.is(site!.kind, SiteKind.async);
});

decorators('recognises an aliased import and a namespace import', () => {
  const source = `import { traced as t } from 'ts-traced';\nimport * as tt from 'ts-traced';
class A {\n  @t m1() {}\n  @tt.traced() m2() {}\n  @tt.traced({ name: 'x' }) m3() {}\n}`;
  assert.equal(names(source), ['A.m1', 'A.m2', 'x']);
});

decorators('ignores a `traced` decorator that is not ts-traced\'s', () => {
  const source = `import { traced } from './my-tracing';\nimport type { traced as T } from 'ts-traced';
class A {\n  @traced m() {}\n  @T n() {}\n}`;
  const selection = select(source);
  assert.is(selection.sites.size, 0);
  assert.is(selection.decorators.length, 0, '~> nothing to drop from the emit');
});

decorators('reads the execution kind from async and *', () => {
  const source = `${IMPORT}class K {\n  @traced a() {}\n  @traced async b() {}\n  @traced *c() {}\n  @traced async *d() {}\n}`;
  assert.equal(
    sites(source).map((s) => [s.name, s.kind]),
    [
      ['K.a', SiteKind.sync],
      ['K.b', SiteKind.async],
      ['K.c', SiteKind.generator],
      ['K.d', SiteKind.asyncGenerator],
    ],
  );
});

decorators('names static, private, string-keyed and computed methods and accessors', () => {
  const source = `${IMPORT}class C {
  @traced static make() {}
  @traced #secret() {}
  @traced 'with space'() {}
  @traced ['lit']() {}
  @traced [Symbol.iterator]() {}
  @traced get total() { return 1; }
  @traced set total(v: number) {}
}`;
  assert.equal(names(source), [
    'C.make',
    'C.#secret',
    'C.with space',
    'C.lit',
    'C.[computed]',
    'get C.total',
    'set C.total',
  ]);
});

decorators('traces a class field holding an arrow function, with the decorator on the property', () => {
  const source = `${IMPORT}class H {\n  @traced({ tags: { k: 'v' } })\n  handle = async (e: Event) => e;\n}`;
  const selection = select(source);
  const [site] = [...selection.sites.values()];
  assert.ok(ts.isArrowFunction(site!.node), '~> the arrow is the site');
  assert.is(site!.name, 'H.handle');
  assert.is(site!.kind, SiteKind.async);
  assert.ok(ts.isPropertyDeclaration(site!.decorators[0]!.parent), '~> the decorator to drop sits on the property');
});

decorators('keeps an onStart options object as the dynamic part when it refers to module scope only', () => {
  const source = `${IMPORT}import { tagUser } from './tags';
const prefix = 'user.';
class U {
  @traced({ name: 'u.get', onStart: (span, id) => span.setTag(prefix + 'id', tagUser(id, Math.max(1, 2))) })
  get(id: string) {}
}`;
  const selection = select(source);
  const [site] = [...selection.sites.values()];
  assert.equal(selection.diagnostics, []);
  assert.ok(site!.dynamic && ts.isObjectLiteralExpression(site!.dynamic), '~> the whole options object');
  assert.is(site!.needsArguments, true);
  assert.is(site!.name, 'u.get');
});

decorators('lists every ts-traced decorator of the file so the rewrite can drop them', () => {
  const source = `${IMPORT}class A {\n  @traced a() {}\n  @untraced b() {}\n  @other c() {}\n}`;
  const selection = select(source);
  assert.equal(
    selection.decorators.map((d) => d.getText()),
    ['@traced', '@untraced'],
  );
  assert.equal([...selection.sites.values()][0]!.decorators.map((d) => d.getText()), ['@traced']);
});

decorators('selects the same sites under experimentalDecorators and standard decorators', () => {
  const source = `${IMPORT}export class S {\n  @traced({ args: ['a'] }) m(a: number) { return a; }\n  @traced static async n() {}\n}`;
  const results = [true, false].map((experimentalDecorators) => {
    const host = ts.createCompilerHost({});
    const original = host.getSourceFile;
    host.getSourceFile = (name, ...rest) =>
      name === '/proj/src/s.ts' ? ts.createSourceFile(name, source, ts.ScriptTarget.ES2022, true) : original(name, ...rest);
    const program = ts.createProgram(['/proj/src/s.ts'], { experimentalDecorators, noResolve: true, noLib: true }, host);
    const file = program.getSourceFile('/proj/src/s.ts')!;
    assert.equal(program.getSyntacticDiagnostics(file), [], '~> valid syntax in both modes');
    const selection = selectSites(ts, file, defaultConfig(ROOT), { projectRoot: ROOT });
    return [...selection.sites.values()].map((s) => [s.name, s.kind, s.args]);
  });
  assert.equal(results[0], results[1]);
  assert.is(results[0]!.length, 2);
});

decorators.run();

// ---------------------------------------------------------------------------------------------------------

const jsdoc = suite('selectSites: /** @traced */');

jsdoc('selects a function declaration, and an exported default one as `default`', () => {
  const source = `/** @traced */\nexport function priceOf(cart: unknown) { return 1; }\n/** @traced */\nexport default function () {}`;
  assert.equal(
    sites(source).map((s) => [s.name, s.by, s.line, s.requireActive]),
    [
      ['priceOf', 'jsdoc', 2, false],
      ['default', 'jsdoc', 4, false],
    ],
  );
});

jsdoc('selects arrows and function expressions held by variables, by the variable name', () => {
  const source = `/** @traced */\nconst a = () => 1;
/** @traced */ export let b = async function () {};
/** @traced */ const c = function named() {};
const d = /** @traced */ (x: number) => x;`;
  assert.equal(
    sites(source).map((s) => [s.name, s.kind]),
    [
      ['a', SiteKind.sync],
      ['b', SiteKind.async],
      ['named', SiteKind.sync],
      ['d', SiteKind.sync],
    ],
  );
});

jsdoc('sets the span name from the text after the tag', () => {
  const source = `/**\n * Checkout.\n * @traced checkout.flow\n */\nfunction go() {}\n/** @traced orders.place */ const place = () => 0;`;
  assert.equal(names(source), ['checkout.flow', 'orders.place']);
});

jsdoc('selects object-literal methods and properties as obj.method, nested objects with a dotted path', () => {
  const source = `const api = {\n  /** @traced */ list() {},\n  /** @traced */ find: (id: string) => id,\n  users: { /** @traced */ *all() {} },\n};`;
  assert.equal(
    sites(source).map((s) => [s.name, s.fn, s.ns, s.kind]),
    [
      ['api.list', 'list', 'api', SiteKind.sync],
      ['api.find', 'find', 'api', SiteKind.sync],
      ['api.users.all', 'all', 'api.users', SiteKind.generator],
    ],
  );
});

jsdoc('selects class methods, class-field arrows and accessors', () => {
  const source = `class Cart {\n  /** @traced */ add() {}\n  /** @traced */ onClick = () => {};\n  /** @traced */ get size() { return 0; }\n}`;
  assert.equal(names(source), ['Cart.add', 'Cart.onClick', 'get Cart.size']);
});

jsdoc('selects assigned functions and names anonymous callbacks <anonymous>:line', () => {
  const source = `declare const obj: any;\n/** @traced */ obj.handler = function () {};\n\n[1].map(/** @traced */ (x) => x);`;
  assert.equal(
    sites(source).map((s) => [s.name, s.fn, s.ns]),
    [
      ['obj.handler', 'handler', 'obj'],
      ['<anonymous>:4', '<anonymous>', undefined],
    ],
  );
});

jsdoc('reads the comment text, so it works when the parser skips JSDoc (tsc 5.3+ ParseForTypeErrors)', () => {
  const source = `/** @traced */\nfunction a() {}`;
  const file = ts.createSourceFile('/proj/src/a.ts', source, {
    languageVersion: ts.ScriptTarget.ES2022,
    jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
  }, true);
  const selection = selectSites(ts, file, defaultConfig(ROOT), { projectRoot: ROOT });
  assert.equal([...selection.sites.values()].map((s) => s.name), ['a']);
});

jsdoc('ignores block comments that are not JSDoc and tags that only start with "traced"', () => {
  const source = `/* @traced */ function a() {}\n// @traced\nfunction b() {}\n/** @tracedX */ function c() {}\n/** see {@link traced} */ function d() {}`;
  assert.equal(names(source), []);
});

jsdoc('parseJsDocMarker reads the tag, the rest of its line, and @untraced', () => {
  assert.equal(parseJsDocMarker('/** @traced */'), { marker: 'traced', name: undefined });
  assert.equal(parseJsDocMarker('/**\n * Does it.\n * @traced a.b c\n */'), { marker: 'traced', name: 'a.b c' });
  assert.equal(parseJsDocMarker('/** @untraced */'), { marker: 'untraced', name: undefined });
  assert.is(parseJsDocMarker('/** mail me@traced.dev */'), undefined);
});

jsdoc.run();

// ---------------------------------------------------------------------------------------------------------

const rules = suite('selectSites: config rules');
const RULES: Partial<ResolvedConfig> = { include: ['src/**'] };

rules('select nothing without include: only markers do', () => {
  assert.equal(names(`export function a() {}\nclass B { m() {} }`), []);
});

rules('select every named function of an included module, with config tags and requireActive', () => {
  const source = `export function a() {}\nclass B {\n  m() {}\n  static async s() {}\n}\nconst f = () => 1;\nconst o = { p: function () {} };`;
  const selected = sites(source, { ...RULES, tags: { team: 'core' } });
  assert.equal(selected.map((s) => s.name), ['a', 'B.m', 'B.s', 'f', 'o.p']);
  assert.ok(selected.every((s) => s.by === 'config' && s.requireActive === true), '~> rules require an active trace');
  assert.equal(selected[0]!.tags, { team: 'core' });
});

rules('record the rule that selected a function', () => {
  const selection = select(`function a() {}`, { include: ['lib/**', 'src/**'], functions: { include: ['a*'], exclude: [] } });
  assert.equal([...selection.sites.values()][0]!.selectedBy, { by: 'config', rule: 'include "src/**", functions.include "a*"' });
});

rules('apply only to modules matching include and not exclude, relative to the base folder', () => {
  const source = `function a() {}`;
  assert.equal(names(source, { include: ['lib/**'] }), []);
  assert.equal(names(source, { ...RULES, exclude: ['**/app.ts'] }), []);
  assert.equal(names(source, { include: ['app.ts'], baseDir: '/proj/src' }), ['a']);
});

rules('skip anonymous callbacks and say why', () => {
  const selection = select(`function a() { [1].map((x) => x * 2); }`, RULES);
  assert.equal([...selection.sites.values()].map((s) => s.name), ['a']);
  assert.equal(selection.skipped.map((s) => [s.name, s.reason]), [
    ['<anonymous>:1', 'anonymous: rules select named functions only'],
  ]);
});

rules('match functions.include and functions.exclude against the span name and the bare name', () => {
  const source = `class UserService {\n  getUser() {}\n  save() {}\n  toJSON() {}\n}\nfunction handleA() {}\nfunction other() {}`;
  assert.equal(names(source, { ...RULES, functions: { include: ['*Service.*', 'handle*'], exclude: ['get*', 'toJSON'] } }), [
    'UserService.save',
    'handleA',
  ]);
});

rules('leave accessors alone unless kinds lists accessor, and filter by kind', () => {
  const source = `class P {\n  get x() { return 1; }\n  m() {}\n}\nconst f = () => 1;\nconst g = function () {};\nfunction h() {}`;
  assert.equal(names(source, RULES), ['P.m', 'f', 'g', 'h']);
  assert.equal(names(source, { ...RULES, kinds: ['accessor', 'arrow'] }), ['get P.x', 'f']);
  assert.equal(names(source, { ...RULES, kinds: ['function', 'expression'] }), ['g', 'h']);
});

rules('filter by execution kind with async', () => {
  const source = `function a() {}\nasync function b() {}\nfunction* c() {}\nasync function* d() {}`;
  assert.equal(names(source, { ...RULES, async: ['async', 'asyncGenerator'] }), ['b', 'd']);
});

rules('with exportedOnly, select exported functions, methods of exported classes and objects', () => {
  const source = `export function a() {}
function b() {}
function c() {}
export { c };
export class D { m() {} }
class E { n() {} }
export const f = () => 1;
const g = () => 1;
export const api = { list() {} };
export default class { z() {} }`;
  assert.equal(names(source, { ...RULES, exportedOnly: true }), ['a', 'c', 'D.m', 'f', 'api.list', 'default.z']);
});

rules('never select constructors or bodiless signatures', () => {
  const source = `class A {\n  constructor() {}\n  m(a: string): void;\n  m(a: any) {}\n}\ndeclare function d(): void;`;
  assert.equal(names(source, RULES), ['A.m']);
});

rules('give way to @untraced and /** @untraced */', () => {
  const source = `${IMPORT}class A {\n  @untraced m() {}\n  n() {}\n}\n/** @untraced */\nfunction quiet() {}`;
  const selection = select(source, RULES);
  assert.equal([...selection.sites.values()].map((s) => s.name), ['A.n']);
  assert.equal(selection.skipped.map((s) => [s.name, s.reason]), [
    ['A.m', '@untraced'],
    ['quiet', '@untraced'],
  ]);
});

rules('give way to a marker, whose own settings apply', () => {
  const source = `${IMPORT}class A {\n  @traced({ tags: { mine: 1 } }) m() {}\n}`;
  assert.equal(sites(source, { ...RULES, tags: { team: 'core' } }), [
    { name: 'A.m', kind: SiteKind.sync, fn: 'm', ns: 'A', line: 3, by: 'decorator', requireActive: false, tags: { mine: 1 } },
  ]);
});

rules('select nothing, markers included, when enabled is false', () => {
  const source = `${IMPORT}class A {\n  @traced m() {}\n}\n/** @traced */ function f() {}`;
  assert.equal(names(source, { ...RULES, enabled: false }), []);
});

rules('select nothing in a declaration file', () => {
  const selection = select(`/** @traced */ export declare function f(): void;`, RULES, '/proj/src/app.d.ts');
  assert.equal([selection.sites.size, selection.diagnostics.length], [0, 0]);
});

rules.run();

// ---------------------------------------------------------------------------------------------------------

const records = suite('selectSites: site records');

records('give file relative to the project root and 1-based lines of the name', () => {
  const source = `${IMPORT}\nclass A {\n  @traced\n  @other()\n  m() {}\n}\n\nexport const f = /** @traced */ () =>\n  1;`;
  const selection = select(source, {}, '/proj/src/deep/x.ts');
  assert.equal(
    [...selection.sites.values()].map((s) => [s.name, s.file, s.line]),
    [
      ['A.m', 'src/deep/x.ts', 6],
      ['f', 'src/deep/x.ts', 9],
    ],
  );
});

records('key sites by the function node of the parse tree', () => {
  const selection = select(`/** @traced */ function a() {}`);
  const [[node, site]] = [...selection.sites.entries()];
  assert.is(node, site!.node);
  assert.ok(ts.isFunctionDeclaration(node!));
  assert.is(ts.getParseTreeNode(node!), node);
});

records('name class expressions by their variable, default-exported classes and objects `default`', () => {
  const source = `${IMPORT}const Repo = class {\n  @traced m() {}\n};\nexport default class {\n  @traced n() {}\n}`;
  assert.equal(names(source), ['Repo.m', 'default.n']);
  assert.equal(names(`export default {\n  /** @traced */ run() {},\n};`), ['default.run']);
});

records('work on the source file transpileModule hands a transformer, relative to the cwd', () => {
  const source = `${IMPORT}export class A {\n  @traced m() {}\n}\n/** @traced */\nexport const f = async () => 1;`;
  let found: string[] = [];
  const select: ts.TransformerFactory<ts.SourceFile> = () => (file) => {
    const original = ts.getParseTreeNode(file, ts.isSourceFile)!;
    const selection = selectSites(ts, original, defaultConfig(process.cwd()), { projectRoot: process.cwd() });
    found = [...selection.sites.values()].map((s) => `${s.name} ${s.kind} ${s.file}:${s.line}`);
    return file;
  };
  ts.transpileModule(source, {
    fileName: 'src/m.ts',
    compilerOptions: { target: ts.ScriptTarget.ES2022 },
    transformers: { before: [select] },
  });
  assert.equal(found, [`A.m ${SiteKind.sync} src/m.ts:3`, `f ${SiteKind.async} src/m.ts:6`]);
});

records.run();
