/**
 * Each selection diagnostic (TT2xxx) fires on its construct, at its position, with a message that says what to
 * do, and the function it concerns is left untraced. Also the code table and `toDiagnostic` themselves.
 */
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultConfig } from '../../src/transformer/config/defaults';
import {
  numericCode,
  toDiagnostic,
  tracedCodeOf,
  tracedError,
  TracedError,
} from '../../src/transformer/diagnostics';
import { selectSites } from '../../src/transformer/select/index';

const IMPORT = `import { traced, untraced } from 'ts-traced';\n`;

/** `TT2001 app.ts:3:3 <message>` lines, as tsc would place them, plus the names of the sites selected. */
function check(source: string) {
  const file = ts.createSourceFile('/proj/app.ts', source, ts.ScriptTarget.ES2022, true);
  const selection = selectSites(ts, file, defaultConfig('/proj'), { projectRoot: '/proj' });
  const lines = selection.diagnostics.map((d) => {
    const { line, character } = file.getLineAndCharacterOfPosition(d.start!);
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    assert.is(d.category, ts.DiagnosticCategory.Error, '~> an error');
    assert.is(`TT${d.code - 90000}`, text.slice(0, 6), '~> numeric code and message code agree');
    return `${text.slice(0, 6)} app.ts:${line + 1}:${character + 1} ${text.slice(8)}`;
  });
  return { lines, sites: [...selection.sites.values()].map((s) => s.name) };
}

function expectOne(source: string, code: string, at: string, says: RegExp) {
  const { lines, sites } = check(source);
  assert.is(lines.length, 1, `~> one diagnostic, got ${JSON.stringify(lines)}`);
  assert.is(lines[0]!.slice(0, 6), code);
  assert.is(lines[0]!.split(' ')[1], `app.ts:${at}`);
  assert.match(lines[0]!, says);
  return sites;
}

// ---------------------------------------------------------------------------------------------------------

const placement = suite('selectSites diagnostics: where a marker cannot go');

placement('TT2001 @traced on an overload signature', () => {
  const source = `${IMPORT}class A {\n  @traced m(a: string): void;\n  m(a: unknown) {}\n}`;
  const sites = expectOne(source, 'TT2001', '3:3', /overload signature: put it on the implementation/);
  assert.equal(sites, []);
});

placement('TT2001 /** @traced */ on a function overload', () => {
  const source = `/** @traced */\nfunction f(a: string): void;\nfunction f(a: unknown) {}`;
  expectOne(source, 'TT2001', '2:10', /\/\*\* @traced \*\/ on an overload signature/);
});

placement('TT2002 @traced on an abstract method', () => {
  const source = `${IMPORT}abstract class A {\n  @traced abstract run(): void;\n}`;
  expectOne(source, 'TT2002', '3:3', /abstract method: put it on the implementations/);
});

placement('TT2003 @traced in a declare class, a declare namespace and on a declared function', () => {
  const { lines } = check(
    `${IMPORT}declare class A {\n  @traced m(): void;\n}\ndeclare namespace N {\n  /** @traced */ function g(): void;\n}\n/** @traced */\ndeclare function h(): void;`,
  );
  assert.equal(
    lines.map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['TT2003 app.ts:3:3', 'TT2003 app.ts:6:27', 'TT2003 app.ts:9:18'],
  );
  assert.match(lines[0]!, /ambient context .* has no body to trace: remove it/);
});

placement('TT2004 /** @traced */ on a constructor', () => {
  const source = `class A {\n  /** @traced */\n  constructor() {}\n}`;
  expectOne(source, 'TT2004', '3:3', /constructor is not supported: trace a method the constructor calls instead/);
});

placement('TT2005 @traced on a property that holds no function, a class and a parameter', () => {
  const { lines } = check(`${IMPORT}@traced\nclass A {\n  @traced count = 0;\n  m(@traced x: number) {}\n}`);
  assert.equal(lines, [
    expect('TT2005', '2:1', '@traced on a class'),
    expect('TT2005', '4:3', '@traced on a property that is not a function'),
    expect('TT2005', '5:5', '@traced on a parameter'),
  ]);
});

placement('TT2005 /** @traced */ on a variable that does not hold a function', () => {
  const source = `/** @traced */\nconst wrapped = memo(() => 1);\ndeclare function memo<T>(f: T): T;`;
  expectOne(source, 'TT2005', '2:1', /a variable that does not hold a single function.*Remove it/);
});

function expect(code: string, at: string, start: string) {
  return `${code} app.ts:${at} ${start}: it applies to functions, methods, accessors and properties or variables holding an arrow function or function expression. Remove it.`;
}

placement.run();

// ---------------------------------------------------------------------------------------------------------

const options = suite('selectSites diagnostics: @traced options');

options('TT2006 an args name that is not a parameter lists the parameters', () => {
  const source = `${IMPORT}class A {\n  @traced({ args: ['userId'] })\n  m(id: string, n: number) {}\n}`;
  const sites = expectOne(source, 'TT2006', '3:20', /"userId" is not a parameter of this function \(parameters: "id", "n"\)/);
  assert.equal(sites, [], '~> left untraced');
});

options('TT2007 an args name inside a destructured parameter, and a rest parameter', () => {
  const { lines } = check(`${IMPORT}class A {\n  @traced({ args: ['id', 'rest'] })\n  m({ id }: { id: string }, ...rest: number[]) {}\n}`);
  assert.equal(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['TT2007 app.ts:3:20', 'TT2007 app.ts:3:26']);
  assert.match(lines[0]!, /"id" is inside a destructured parameter; only plain named parameters can be recorded/);
  assert.match(lines[1]!, /"rest" is a rest parameter/);
});

options('TT2008 a non-literal name, tags value, args entry, requireActiveTrace or options object', () => {
  const { lines, sites } = check(`${IMPORT}const NAME = 'x';\nconst opts = {};
class A {
  @traced({ name: NAME }) a() {}
  @traced({ tags: { k: NAME } }) b() {}
  @traced({ args: [NAME] }) c(x: string) {}
  @traced({ requireActiveTrace: 1 }) d() {}
  @traced(opts) e() {}
  @traced({ ...opts }) f() {}
}`);
  assert.equal(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), [
    'TT2008 app.ts:5:13',
    'TT2008 app.ts:6:21',
    'TT2008 app.ts:7:20',
    'TT2008 app.ts:8:13',
    'TT2008 app.ts:9:11',
    'TT2008 app.ts:10:13',
  ]);
  assert.match(lines[0]!, /@traced option "name" must be a string literal written in place, because it is read at compile time/);
  assert.match(lines[1]!, /tag "k" must be a string, number or boolean literal/);
  assert.match(lines[4]!, /@traced options must be an object literal/);
  assert.equal(sites, []);
});

options('TT2009 an unknown option names the known ones', () => {
  const source = `${IMPORT}class A {\n  @traced({ nmae: 'x' }) m() {}\n}`;
  expectOne(source, 'TT2009', '3:13', /unknown @traced option "nmae": the options are "name", "tags", "args", "requireActiveTrace", "onStart"/);
});

options('TT2010 onStart that refers to a parameter, a local or `this` of an enclosing function', () => {
  const { lines, sites } = check(`${IMPORT}function make(prefix: string) {
  const local = 1;
  class Inner {
    @traced({ onStart: (span) => span.setTag(prefix, local) }) m() {}
  }
  return Inner;
}
const ok = 1;
class Outer {
  @traced({ onStart: (span) => span.setTag('k', ok + Math.PI) }) fine() {}
  @traced({ onStart: function (span) { span.setTag('this', this === undefined); } }) ownThis() {}
}`);
  assert.is(lines.length, 1);
  assert.is(lines[0]!.split(' ')[1], 'app.ts:5:13');
  assert.match(lines[0]!, /refer to "prefix", "local", which are not at module scope: .* Move them to module scope/);
  assert.equal(sites, ['Outer.fine', 'Outer.ownThis']);
});

options('TT2010 names `this` when an arrow in onStart reads the enclosing this', () => {
  const source = `${IMPORT}class A {\n  @traced({ onStart: () => this }) m() {}\n}`;
  expectOne(source, 'TT2010', '3:11', /refer to "this", which is not at module scope/);
});

options('TT2011 @traced and @untraced on the same function', () => {
  const { lines, sites } = check(`${IMPORT}class A {\n  @traced @untraced m() {}\n}\n/** @untraced */\nconst f = /** @traced */ () => 1;`);
  assert.equal(lines.map((l) => l.split(' ').slice(0, 2).join(' ')), ['TT2011 app.ts:3:3', 'TT2011 app.ts:6:26']);
  assert.match(lines[0]!, /@traced and @untraced on the same function: keep one of them/);
  assert.equal(sites, []);
});

options.run();

// ---------------------------------------------------------------------------------------------------------

const table = suite('diagnostics table');

table('tracedError fills the template; TracedError carries the code', () => {
  const error = tracedError('TT2006', { name: 'x', params: [] });
  assert.instance(error, TracedError);
  assert.instance(error, Error);
  assert.is(error.code, 'TT2006');
  assert.is(error.message, 'args: "x" is not a parameter of this function (it has no named parameters). Use a parameter\'s name.');
});

table('numericCode and tracedCodeOf map TTabcd to TS9abcd and back', () => {
  assert.is(numericCode('TT1002'), 91002);
  assert.is(numericCode('TT9000'), 99000);
  const diagnostic = toDiagnostic(ts, undefined, undefined, tracedError('TT9000', { reason: 'boom' }));
  assert.is(tracedCodeOf(diagnostic), 'TT9000');
  assert.is(tracedCodeOf({ ...diagnostic, code: 2304 }), undefined, '~> a TypeScript diagnostic is not ours');
});

table('toDiagnostic positions a node (without leading trivia), a text span, or nothing', () => {
  const file = ts.createSourceFile('/p/a.ts', `// c\n  foo();`, ts.ScriptTarget.ES2022, true);
  const statement = file.statements[0]!;
  const error = tracedError('TT9000', { reason: 'x' });
  const fromNode = toDiagnostic(ts, file, statement, error);
  assert.equal([fromNode.file, fromNode.start, fromNode.length], [file, 7, 6]);
  assert.is(fromNode.messageText, 'TT9000: internal error, function left untraced: x. Please report it with this function\'s source.');
  const fromSpan = toDiagnostic(ts, file, { start: 2, length: 1 }, error);
  assert.equal([fromSpan.start, fromSpan.length], [2, 1]);
  const global = toDiagnostic(ts, file, undefined, error);
  assert.equal([global.file, global.start], [undefined, undefined]);
});

table('toDiagnostic makes TT1008 (a rule that selects nothing) a warning and every other code an error', () => {
  const warning = toDiagnostic(ts, undefined, undefined, tracedError('TT1008', { path: 'include[0]', finding: '"x" matches no source file of the program' }));
  assert.is(warning.category, ts.DiagnosticCategory.Warning);
  assert.is(warning.messageText, 'TT1008: include[0]: "x" matches no source file of the program. It traces nothing: fix it or remove it.');
  for (const error of [tracedError('TT1002', { path: 'include', expected: 'an array' }), tracedError('TT2011', {}), tracedError('TT9000', { reason: 'x' })])
    assert.is(toDiagnostic(ts, undefined, undefined, error).category, ts.DiagnosticCategory.Error, `~> ${error.code}`);
});

table('toDiagnostic maps a synthesized node back to its original', () => {
  const file = ts.createSourceFile('/p/a.ts', `let x = 1;`, ts.ScriptTarget.ES2022, true);
  const original = file.statements[0]!;
  const clone = ts.setOriginalNode(ts.factory.createEmptyStatement(), original);
  const diagnostic = toDiagnostic(ts, file, clone, tracedError('TT9000', { reason: 'x' }));
  assert.equal([diagnostic.start, diagnostic.length], [0, 10]);
});

table('tsc prints the file, line and column and the TT code', () => {
  const file = ts.createSourceFile('/p/a.ts', `\nfunction f() {}`, ts.ScriptTarget.ES2022, true);
  const diagnostic = toDiagnostic(ts, file, file.statements[0]!, tracedError('TT2004', { marker: '@traced' }));
  const text = ts.formatDiagnostic(diagnostic, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => '/p',
    getNewLine: () => '\n',
  });
  assert.is(text, 'a.ts(2,1): error TS92004: TT2004: @traced on a constructor is not supported: trace a method the constructor calls instead.\n');
});

table.run();
