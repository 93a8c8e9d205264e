/**
 * The text rewrite against the AST transformer, on the AST transformer's own golden fixtures (read-only): per
 * case, the same diagnostics, the same site records (what is traced and how), output that plain tsc compiles
 * without a type error and whose lines are the input's, a source map that takes every identifier back to
 * itself, and, where the case has an exec.ts, the same transcript as the untraced build and the same spans as
 * the AST build. Then the cases the fixtures do not show: nesting order, prologues, comments, scripts.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setTracer } from '../../src/runtime/tracer';
import { createTextRewriter, moduleFormatOf, nodeFormatOf, type RewriteResult } from '../../src/transformer/text/index';
import { compileFile, compileProgram, compilerOptionsOf, formatDiagnostic, ROOT } from '../helpers/compile';
import { build, loadFresh, TMP } from '../helpers/exec';
import { installRecordingTracer } from '../helpers/mock-tracer';
import { throwingInRewrite, UNPRINTABLE_THROWS } from '../helpers/throwing-rewrite';
import { goldenCases, siteRecordsOf, type GoldenCase } from '../pipelines/cases';
import { spanSummary } from '../pipelines/spans';

type Exec = (log: (line: string) => void) => unknown;

const RUNTIME_TYPES = { 'ts-traced/runtime': [join(ROOT, 'src/runtime/index.ts')] };

function rewriteCase(c: GoldenCase): { result: RewriteResult; configDiagnostics: readonly ts.Diagnostic[]; source: string } {
  const fileName = join(c.dir, 'input.ts');
  const source = readFileSync(fileName, 'utf8');
  const rewriter = createTextRewriter(ts, {
    ...c.pluginOptions,
    tsconfig: join(c.dir, 'tsconfig.json'),
    compilerOptions: compilerOptionsOf(c.compilerOptions, fileName),
  });
  return { result: rewriter.rewrite(fileName, source), configDiagnostics: rewriter.diagnostics, source };
}

/** Every identifier of the output that the map ties to the input is the same identifier there, on the same line. */
function checkIdentifiersMapBack(input: string, result: RewriteResult): number {
  const map = new SourceMap(result.map as never);
  const inputLines = input.split('\n');
  const out = ts.createSourceFile('out.ts', result.code, ts.ScriptTarget.Latest, true);
  let mapped = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const at = out.getLineAndCharacterOfPosition(node.getStart(out));
      const entry = map.findEntry(at.line, at.character) as Partial<Record<'generatedLine' | 'generatedColumn' | 'originalLine' | 'originalColumn', number>>;
      if (entry.generatedLine === at.line && entry.generatedColumn === at.character && entry.originalLine !== undefined) {
        const there = inputLines[entry.originalLine].slice(entry.originalColumn!, entry.originalColumn! + node.text.length);
        assert.is(there, node.text, `~> ${node.text} at ${at.line + 1}:${at.character + 1} maps to ${there}`);
        assert.is(entry.originalLine, at.line, `~> ${node.text} stays on line ${at.line + 1}`);
        mapped++;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(out);
  return mapped;
}

async function runExec(folder: string): Promise<string[]> {
  const lines: string[] = [];
  await loadFresh<{ default: Exec }>(folder, 'exec').default((line) => lines.push(line));
  return lines;
}

/** Runs exec.ts against the plain build, the AST build and a tsc build of the text output. */
async function checkExec(c: GoldenCase, code: string): Promise<void> {
  const label = `text-${c.group}-${c.name}`;
  const src = join(TMP, `${label}-src`);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'input.ts'), code);
  copyFileSync(join(c.dir, 'exec.ts'), join(src, 'exec.ts'));
  const input = join(c.dir, 'input.ts');
  const exec = join(c.dir, 'exec.ts');
  const plain = build(`${label}-plain`, [{ fileName: input, pluginOptions: null }, { fileName: exec, pluginOptions: null }], c.compilerOptions);
  const ast = build(`${label}-ast`, [{ fileName: input, pluginOptions: c.pluginOptions }, { fileName: exec, pluginOptions: null }], c.compilerOptions);
  const text = build(
    `${label}-text`,
    [{ fileName: join(src, 'input.ts'), pluginOptions: null }, { fileName: join(src, 'exec.ts'), pluginOptions: null }],
    c.compilerOptions,
  );
  setTracer(undefined);
  const expected = await runExec(plain);
  assert.equal(await runExec(text), expected, '~> text rewrite, no tracer: same transcript as plain');
  const tracer = installRecordingTracer();
  assert.equal(await runExec(text), expected, '~> text rewrite, recording: same transcript as plain');
  const fromText = spanSummary(tracer.started);
  tracer.reset();
  await runExec(ast);
  const fromAst = spanSummary(tracer.started);
  setTracer(undefined);
  assert.ok(fromText.length > 0, '~> spans were recorded');
  assert.equal(fromText, fromAst, '~> the same spans as the AST build (names, parents, finishes, tags, events)');
}

const fixtures = suite('createTextRewriter: the golden fixtures');

for (const c of goldenCases()) {
  fixtures(`${c.group}/${c.name}: same sites, diagnostics and behaviour as the AST transformer`, async () => {
    const fileName = join(c.dir, 'input.ts');
    const ast = compileFile({ fileName, compilerOptions: c.compilerOptions, pluginOptions: c.pluginOptions }, 'program');
    const { result, configDiagnostics, source } = rewriteCase(c);
    const format = (ds: readonly ts.Diagnostic[]) => ds.map((d) => formatDiagnostic(d, c.dir)).sort();
    assert.equal(format([...configDiagnostics, ...result.diagnostics]), format(ast.diagnostics), '~> same diagnostics');
    assert.equal(siteRecordsOf(fileName, result.code), siteRecordsOf('output.js', ast.js), '~> same site records');
    assert.is(result.code.split('\n').length, source.split('\n').length, '~> no line added or removed');
    if (result.code === source) return;

    const compiled = compileProgram(result.code, {
      fileName,
      pluginOptions: null,
      compilerOptions: { ...c.compilerOptions, paths: RUNTIME_TYPES },
    });
    if (!c.typeErrors) {
      assert.equal(compiled.typeErrors.map((d) => formatDiagnostic(d, c.dir)), [], '~> the output type-checks with plain tsc');
    }
    assert.ok(checkIdentifiersMapBack(source, result) > 0, '~> identifiers are mapped');
    if (c.hasExec) await checkExec(c, result.code);
  });
}
fixtures.run();

const rewriter = suite('createTextRewriter');
const rewrite = (text: string, fileName = join(ROOT, 'virtual', 'input.ts'), options: Parameters<typeof createTextRewriter>[1] = {}) =>
  createTextRewriter(ts, { projectRoot: join(ROOT, 'virtual'), ...options }).rewrite(fileName, text);

rewriter('nested constructs at one position close innermost first and open outermost first', () => {
  const { code } = rewrite('/** @traced */\nexport async function f(x: any) {return await await x}\n');
  assert.ok(
    code.includes(
      '{return __traced.v1.ret($s, __traced.v1.back($s, await __traced.v1.leave($s, __traced.v1.back($s, await __traced.v1.leave($s, x))))) } catch',
    ),
    code,
  );
});

rewriter('a concise async arrow whose body is an await', () => {
  const { code } = rewrite('/** @traced */\nexport const f = async (x: Promise<number>) => await x;\n');
  assert.ok(
    code.includes(
      '=> { const $s = __traced.v1.enter($site_1); try { return __traced.v1.ret($s, __traced.v1.back($s, await __traced.v1.leave($s, x))); } catch',
    ),
    code,
  );
});

rewriter('an empty body on one line, and a body after a directive without semicolon', () => {
  const { code } = rewrite('/** @traced */\nexport function f() {}\n/** @traced */\nexport function g() { "use strict"\n return 1 }\n');
  assert.ok(code.includes('function f() { const $s = __traced.v1.enter($site_1); try { } catch'), code);
  assert.ok(code.includes('function g() { "use strict"; const $s = __traced.v1.enter($site_2); try {'), code);
});

rewriter('the header goes after leading comments that are not JSDoc and before the first statement\'s JSDoc', () => {
  const text = '#!/usr/bin/env node\n// @ts-check\n/** Says hello. */\nexport function hello() { return 1 }\n/** @traced */ export const f = () => 1;\n';
  const { code } = rewrite(text);
  const lines = code.split('\n');
  assert.is(lines[0], '#!/usr/bin/env node');
  assert.is(lines[1], '// @ts-check');
  assert.match(lines[2], /^import \* as __traced from "ts-traced\/runtime"; .* \/\*\* Says hello\. \*\/$/);
});

rewriter('a CommonJS script reaches the runtime with require; one that compiles to an ES module is left untraced (TT3004)', () => {
  const script = '/** @traced */\nfunction f() { return 1; }\n';
  const cjs = createTextRewriter(ts, { projectRoot: ROOT, compilerOptions: { module: ts.ModuleKind.CommonJS } }).rewrite(join(ROOT, 'a.ts'), script);
  assert.ok(cjs.code.startsWith('const __traced = require("ts-traced/runtime"); __traced.requireVersion(1);'), cjs.code);
  const esm = createTextRewriter(ts, { projectRoot: ROOT, compilerOptions: { module: ts.ModuleKind.ESNext } }).rewrite(join(ROOT, 'a.ts'), script);
  assert.is(esm.code, script, '~> left as it is');
  assert.equal(esm.diagnostics.map((d) => formatDiagnostic(d, ROOT).split(' ').slice(0, 2).join(' ')), ['TT3004 a.ts:2:1']);
  const forced = createTextRewriter(ts, { projectRoot: ROOT }).rewrite(join(ROOT, 'a.mjs'), script, 'esm');
  assert.ok(forced.code.startsWith('import * as __traced'), '~> a file Node runs as an ES module gets the import');
});

rewriter('JavaScript in, JavaScript out', () => {
  const { code } = rewrite('/** @traced */\nexports.f = function (a) { return a * 2; };\n', join(ROOT, 'virtual', 'lib.cjs'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS },
  });
  const m = { exports: {} as { f?: (a: number) => number } };
  const runtime = require('../../src/runtime/index');
  new Function('require', 'module', 'exports', code)(() => runtime, m, m.exports);
  assert.is(m.exports.f!(21), 42);
});

rewriter('a multi-line marker decorator leaves its line breaks', () => {
  const text = "import { traced } from 'ts-traced';\nexport class A {\n  @traced({\n    name: 'a.m',\n  })\n  m() { return 1; }\n}\n";
  const { code } = rewrite(text);
  assert.is(code.split('\n').length, text.split('\n').length);
  assert.not.match(code, /@traced/);
  assert.match(code.split('\n')[5], /^ {2}m\(\) \{ const \$s = /);
});

rewriter('a config with an error leaves every file as it is and says why', () => {
  const r = createTextRewriter(ts, { projectRoot: ROOT, include: 'src/**' as never });
  assert.is(r.diagnostics.length, 1);
  assert.match(formatDiagnostic(r.diagnostics[0], ROOT), /^TT1002 /);
  const text = '/** @traced */\nexport function f() { return 1; }\n';
  assert.is(r.rewrite(join(ROOT, 'x.ts'), text).code, text);
});

rewriter('an internal exception carrying a Proxy or an unprintable value is one TT9000 at that function, not a crash', () => {
  for (const [label, thrown] of UNPRINTABLE_THROWS) {
    const hostileTs = throwingInRewrite(ts, thrown());
    const text = '/** @traced */\nexport function f(): number {\n  return 1;\n}\n';
    const result = createTextRewriter(hostileTs, { projectRoot: join(ROOT, 'virtual') }).rewrite(join(ROOT, 'virtual', 'input.ts'), text);
    assert.equal(
      result.diagnostics.map((d) => formatDiagnostic(d, ROOT)),
      ["TT9000 virtual/input.ts:2:1 internal error, function left untraced: a value that cannot be printed. Please report it with this function's source."],
      `~> ${label}`,
    );
    assert.is(result.code, text, `~> ${label}: f() left as it was`);
  }
});

rewriter.run();

const formats = suite('moduleFormatOf');

formats('follows module, moduleDetection, and under nodenext the extension and package.json', () => {
  const here = join(ROOT, 'src', 'x.ts');
  assert.is(moduleFormatOf(ts, here, { module: ts.ModuleKind.CommonJS }), 'cjs');
  assert.is(moduleFormatOf(ts, here, { module: ts.ModuleKind.ESNext }), undefined);
  assert.is(moduleFormatOf(ts, here, { module: ts.ModuleKind.ESNext, moduleDetection: ts.ModuleDetectionKind.Force }), 'esm');
  assert.is(moduleFormatOf(ts, here, { module: ts.ModuleKind.NodeNext }), 'cjs', '~> this package is "type": "commonjs"');
  assert.is(moduleFormatOf(ts, join(ROOT, 'src', 'x.mts'), { module: ts.ModuleKind.NodeNext }), 'esm');
  assert.is(nodeFormatOf(join(ROOT, 'x.cts')), 'cjs');
});

formats.run();
