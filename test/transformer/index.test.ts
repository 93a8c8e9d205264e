/**
 * The transformer's entries: the ts-patch default export and `createTransformer`, and what the per-file driver
 * does when a site cannot be rewritten (reported, left untouched, never a compiler crash).
 */
import { join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteKind } from '../../src/contract';
import { defaultConfig } from '../../src/transformer/config/defaults';
import type { ProgramContext } from '../../src/transformer/context';
import tracedTransformer, { createTransformer } from '../../src/transformer/index';
import { rewriteFile } from '../../src/transformer/rewrite/file';
import { selectSites } from '../../src/transformer/select/index';
import { compileProgram, formatDiagnostic, ROOT } from '../helpers/compile';
import { throwingInRewrite, UNPRINTABLE_THROWS } from '../helpers/throwing-rewrite';

const FILE = join(ROOT, 'test/transformer/index-test/input.ts');
const OPTIONS: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext };

const TRACED_AND_BROKEN = `
/** @traced */
export function fine(): number {
  return 1;
}

/** @traced */
export async function broken(): Promise<void> {
  await using handle = { [Symbol.asyncDispose]: async () => {} };
}
`;

function transpile(source: string, before: ts.TransformerFactory<ts.SourceFile>[], compilerOptions = OPTIONS): string {
  return ts.transpileModule(source, { fileName: FILE, compilerOptions, transformers: { before } }).outputText;
}

const create = suite('createTransformer');

create('without onDiagnostic, a file with problems throws one error that lists each with its position', () => {
  const source = `${TRACED_AND_BROKEN}\n/** @traced */\nexport const limit = 1;\n`;
  try {
    transpile(source, [createTransformer(ts, { projectRoot: ROOT })]);
    assert.unreachable('~> should have thrown');
  } catch (e) {
    const message = (e as Error).message;
    assert.match(message, /^ts-traced: 2 problems:/);
    assert.match(message, /input\.ts\(9,3\): error TS93001: TT3001: "await using"/);
    assert.match(message, /input\.ts\(13,1\): error TS92005: TT2005: \/\*\* @traced \*\/ on a variable/);
  }
});

create('without onDiagnostic, invalid options throw when the transformer is created', () => {
  assert.throws(
    () => createTransformer(ts, { projectRoot: ROOT, kinds: ['lambda' as never] }),
    (e: Error) => /TT1002: kinds\[0\]: must be one of/.test(e.message),
  );
});

create('with onDiagnostic, problems are delivered and the rest of the file is traced', () => {
  const found: ts.Diagnostic[] = [];
  const js = transpile(TRACED_AND_BROKEN, [createTransformer(ts, { projectRoot: ROOT, onDiagnostic: (d) => found.push(d) })]);
  assert.equal(found.map((d) => formatDiagnostic(d, ROOT).split(' ').slice(0, 2).join(' ')), ['TT3001 test/transformer/index-test/input.ts:9:3']);
  assert.match(js, /export function fine\(\) \{\n    const \$s = __traced\.v1\.enter\(\$site_1\);/);
  assert.match(js, /export async function broken\(\) \{\n    const env_1/, '~> broken() is as TypeScript alone emits it');
});

create('enabled: false emits exactly what plain TypeScript emits', () => {
  const plain = transpile(TRACED_AND_BROKEN, []);
  const disabled = transpile(TRACED_AND_BROKEN, [createTransformer(ts, { projectRoot: ROOT, enabled: false })]);
  assert.is(disabled, plain);
});

create('code.filepath is relative to the project root', () => {
  const js = transpile(TRACED_AND_BROKEN, [createTransformer(ts, { projectRoot: join(ROOT, 'test'), onDiagnostic: () => {} })]);
  assert.match(js, 'file: "transformer/index-test/input.ts"');
});
create('an unexpected exception carrying a Proxy or an unprintable value is one TT9000 at that function, not a crash', () => {
  for (const [label, thrown] of UNPRINTABLE_THROWS) {
    const hostileTs = throwingInRewrite(ts, thrown());
    const found: ts.Diagnostic[] = [];
    const js = transpile(`/** @traced */\nexport function f(): number {\n  return 1;\n}\n`, [
      createTransformer(hostileTs, { projectRoot: ROOT, onDiagnostic: (d) => found.push(d) }),
    ]);
    assert.equal(
      found.map((d) => formatDiagnostic(d, ROOT)),
      ["TT9000 test/transformer/index-test/input.ts:2:1 internal error, function left untraced: a value that cannot be printed. Please report it with this function's source."],
      `~> ${label}`,
    );
    assert.match(js, /export function f\(\) \{\n    return 1;\n\}/, `~> ${label}: f() untouched`);
  }
});
create.run();

const entry = suite('default export (ts-patch)');

entry('refuses, with what to do, when ts-patch passes no extras (a "type" other than program)', () => {
  const program = ts.createProgram([], OPTIONS);
  assert.throws(() => tracedTransformer(program, {}, undefined as never), /Remove "type" from the plugin entry/);
});

entry('config problems go to addDiagnostic and every file is left untouched', () => {
  const traced = compileProgram(TRACED_AND_BROKEN, { fileName: FILE, pluginOptions: { include: 'src' as never } });
  const plain = compileProgram(TRACED_AND_BROKEN, { fileName: FILE, pluginOptions: null });
  assert.equal(traced.diagnostics.map((d) => formatDiagnostic(d, ROOT).split(' ')[0]), ['TT1002']);
  assert.is(traced.js, plain.js);
});

entry('declaration output is unchanged', () => {
  const source = `import { traced } from 'ts-traced';\nexport class A {\n  @traced\n  async m(x: number): Promise<number> {\n    return x;\n  }\n}\n/** @traced */\nexport function f<T>(v: T): T {\n  return v;\n}\n`;
  const emit = (withPlugin: boolean) => {
    const options = { ...OPTIONS, declaration: true, strict: true, types: [], paths: { 'ts-traced': [join(ROOT, 'src/index.ts')] } };
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, v) => (name === FILE ? ts.createSourceFile(name, source, v, true) : read(name, v));
    const program = ts.createProgram([FILE], options, host);
    const out: Record<string, string> = {};
    const before = withPlugin ? [tracedTransformer(program, {}, { ts, addDiagnostic: () => {} })] : [];
    program.emit(program.getSourceFile(FILE), (name, text) => (out[name.slice(-5)] = text), undefined, false, { before });
    return out;
  };
  const [plain, traced] = [emit(false), emit(true)];
  assert.match(traced['ut.js'], '__traced.v1.enter', '~> the JavaScript is instrumented');
  assert.is(traced['.d.ts'], plain['.d.ts']);
});

entry('after another before-transformer, its changes are kept; a body it changed under us is reported, not mangled', () => {
  // Drops every `await` (as a careless transformer might) and renames the string 'old' to 'new'.
  const meddler: ts.TransformerFactory<ts.SourceFile> = (context) => (file) => {
    const visit = (node: ts.Node): ts.Node =>
      ts.isAwaitExpression(node)
        ? ts.visitNode(node.expression, visit)!
        : ts.isStringLiteral(node) && node.text === 'old'
          ? context.factory.createStringLiteral('new')
          : ts.visitEachChild(node, visit, context);
    return ts.visitEachChild(file, visit, context);
  };
  const source = `/** @traced */\nexport function label(): string {\n  return 'old';\n}\n\n/** @traced */\nexport async function wait(): Promise<void> {\n  await null;\n}\n`;
  const found: ts.Diagnostic[] = [];
  const js = transpile(source, [meddler, createTransformer(ts, { projectRoot: ROOT, onDiagnostic: (d) => found.push(d) })]);
  assert.match(js, 'return __traced.v1.ret($s, "new");', '~> the earlier change is kept in a traced body');
  assert.equal(found.map((d) => formatDiagnostic(d, ROOT).replace(/ .*? /, ' ')), [
    'TT9001 internal error, function left untraced: the rewrite wrapped 0 of 1 "awaits" nodes. Please report it with this function\'s source.',
  ]);
  assert.match(js, /export async function wait\(\) \{\n    null;\n\}/, '~> wait() left as the earlier transformer made it');
});
entry('a record with run-time options whose module statement another transformer replaced: TT9000, untraced', () => {
  const rebuild: ts.TransformerFactory<ts.SourceFile> = (context) => (file) =>
    context.factory.updateSourceFile(
      file,
      file.statements.map((s) =>
        ts.isClassDeclaration(s) ? context.factory.createClassDeclaration(s.modifiers, s.name, s.typeParameters, s.heritageClauses, s.members) : s,
      ),
    );
  const source = `import { traced } from 'ts-traced';\nconst tag = (span: unknown) => span;\nexport class A {\n  @traced({ onStart: tag })\n  m(): number {\n    return 1;\n  }\n}\n`;
  const found: ts.Diagnostic[] = [];
  const js = transpile(source, [rebuild, createTransformer(ts, { projectRoot: ROOT, onDiagnostic: (d) => found.push(d) })]);
  assert.equal(found.map((d) => formatDiagnostic(d, ROOT).split(' ').slice(0, 2).join(' ')), ['TT9000 test/transformer/index-test/input.ts:4:3']);
  assert.not.match(js, '$site_', '~> no record and no reference to one');
  assert.match(js, /m\(\) \{\n        return 1;\n    \}/, '~> m() untouched');
});
entry.run();

const driver = suite('rewriteFile');

driver('an unexpected exception in one site is TT9000 at that function; the other sites are traced', () => {
  const found: ts.Diagnostic[] = [];
  const p: ProgramContext = { ts, config: defaultConfig(ROOT), projectRoot: ROOT, report: (d) => found.push(d) };
  const source = `/** @traced */\nexport function good(): number {\n  return 1;\n}\n\n/** @traced */\nexport function bad(): number {\n  return 2;\n}\n`;
  const js = transpile(source, [
    (context) => (file) => {
      const selection = selectSites(ts, file, p.config, { projectRoot: ROOT });
      // A kind no rewriter exists for: the rewrite throws a TypeError, as a bug would.
      const sites = new Map([...selection.sites].map(([node, site]) => [node, site.fn === 'bad' ? { ...site, kind: 9 as SiteKind } : site]));
      return rewriteFile(p, context, file, file, { sites, decorators: selection.decorators });
    },
  ]);
  assert.equal(found.map((d) => formatDiagnostic(d, ROOT).split(' ').slice(0, 2).join(' ')), ['TT9000 test/transformer/index-test/input.ts:7:1']);
  assert.match(ts.flattenDiagnosticMessageText(found[0].messageText, ' '), 'internal error, function left untraced: ');
  assert.match(js, /export function good\(\) \{\n    const \$s = __traced\.v1\.enter\(\$site_1\);/);
  assert.match(js, /export function bad\(\) \{\n    return 2;\n\}/);
  assert.not.match(js, '$site_2', '~> no record for the untraced site');
});
driver.run();
