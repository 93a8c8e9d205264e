/**
 * C8: a bad configuration is a clear diagnostic, never a crash. Single faults of every kind (invalid JSON, unknown
 * keys, wrong types, globs, missing files, BOM/CRLF/empty/comments) are in test/transformer/config.test.ts and the
 * real tspc run in test/transformer/tspc.test.ts; bad environment variables of ts-traced/setup (C8.100) in
 * test/runtime/setup/env.test.ts and setup.test.ts ("problems"). Here: many faults in one file, each reported
 * once at its own line; 1,000 mutated config files and hostile plugin options, which must never throw out of the
 * compiler and still compile the program; options whose getters or Proxy traps throw (C8.95), one diagnostic
 * each; rules that select nothing in a whole program (C8.98; each finding in
 * test/transformer/rule-use.test.ts), warned about through a ts.Program and by the real tspc.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { esbuild as tracedEsbuild } from '../../src/bundler';
import tracedTransformer, { createTransformer } from '../../src/transformer/index';
import { createTextRewriter } from '../../src/transformer/text/index';
import { compileProgram, compilerOptionsOf, compileTranspile } from '../helpers/compile';
import { TMP } from '../helpers/exec';
import { buildPackage, runNode, TSPC, tspcProject } from '../helpers/tspc';

const SOURCE = `export function work(a: number): number {\n  return a + 1;\n}\n`;
const VALID = `{
  // traced.config.json
  "include": ["**/*.ts"],
  "exclude": ["**/*.test.ts"],
  "functions": { "include": ["work*"], "exclude": ["toJSON"] },
  "kinds": ["function", "method"],
  "async": ["sync", "async"],
  "exportedOnly": false,
  "requireActiveTrace": false,
  "tags": { "component": "billing", "retries": 3 }
}
`;

let counter = 0;
/** A project folder with `traced.config.json` = `config` and one source file; returns the source's path. */
function project(config: string | undefined): string {
  const dir = join(TMP, 'reliability-config', String(counter++));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dir, 'traced.config.json'), config);
  const fileName = join(dir, 'work.ts');
  writeFileSync(fileName, SOURCE);
  return fileName;
}

/** `traced.config.json:LINE:COL TTxxxx message` for each plugin diagnostic, as tsc prints them (file, start, text). */
function describe(diagnostics: readonly ts.Diagnostic[]): string[] {
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!d.file || d.start === undefined) return `(no file) ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName.split('/').pop()}:${line + 1}:${character + 1} ${text}`;
  });
}

const many = suite('C8.93-96 many faults in one file');
many('C8.94-96 six faults in one config: exactly six diagnostics, each at its own line and column with its key path', () => {
  const config = `{
  "inclde": ["src/**"],
  "exclude": "tests/**",
  "functions": { "include": ["(["], "exclude": [42] },
  "kinds": ["function", "lambda"],
  "exportedOnly": "yes"
}
`;
  const { diagnostics, js } = compileProgram(SOURCE, { fileName: project(config), pluginOptions: {} });
  const lines = describe(diagnostics);
  assert.is(lines.length, 6, `~> one per fault:\n${lines.join('\n')}`);
  const at = (line: number, col: number, pattern: RegExp) =>
    assert.ok(lines.some((l) => l.startsWith(`traced.config.json:${line}:${col} `) && pattern.test(l)), `~> ${line}:${col} ${pattern}\n${lines.join('\n')}`);
  // A key's own fault at the key; an array element's at the element.
  at(2, 3, /TT1003: inclde: unknown key \(did you mean "include"\?\)/);
  at(3, 3, /TT1002: exclude: must be an array of strings/);
  at(4, 30, /TT1006: functions\.include\[0\]: invalid glob/);
  at(4, 49, /TT1002: functions\.exclude\[0\]: must be a string/);
  at(5, 25, /TT1002: kinds\[1\]: must be one of/);
  at(6, 3, /TT1002: exportedOnly: must be true or false/);
  for (const d of diagnostics) {
    assert.is(d.category, ts.DiagnosticCategory.Error);
    assert.not.match(ts.flattenDiagnosticMessageText(d.messageText, '\n'), /\n\s+at /, '~> no stack trace');
  }
  assert.match(js, /export function work/, '~> the program still compiles (with the defaults)');
});
many('C8.93 invalid JSON at several places: one diagnostic at the first fault, none thrown', () => {
  for (const [config, line] of [
    ['{\n  "include": ["a"\n  "exclude": []\n}\n', 3],
    ['{\n  "include": ["unterminated\n}\n', 2],
    ['{\n  "tags": { "a": 1 }}\n}\n', 3],
  ] as const) {
    const lines = describe(compileProgram(SOURCE, { fileName: project(config), pluginOptions: {} }).diagnostics);
    assert.is(lines.length, 1, `~> ${lines.join('\n')}`);
    assert.match(lines[0], new RegExp(`^traced\\.config\\.json:${line}:\\d+ TT1001: invalid JSON`));
  }
});
many.run();

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}
const NOISE = [',', ':', '"', '{', '}', '[', ']', '\\', '\u0000', '\r\n', '\uFEFF', '/*', '//', 'é', '\u2028', '1e999', 'null', 'true'];

/** Byte flips, truncations, duplications and insertions of punctuation into a valid config. */
function mutate(text: string, next: () => number): string {
  const at = Math.floor(next() * text.length);
  switch (Math.floor(next() * 4)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + NOISE[Math.floor(next() * NOISE.length)] + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at, at + 20) + text.slice(at);
    default:
      return text.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x10000)) + text.slice(at + 1);
  }
}

const fuzz = suite('C8 robustness');
fuzz('C8 1,000 mutated config files: the compiler never throws, every diagnostic is a TT1xxx at a position inside the file', () => {
  const next = random(8);
  const fileName = project(undefined);
  const configPath = join(fileName, '..', 'traced.config.json');
  let reported = 0;
  for (let i = 0; i < 1_000; i++) {
    let config = VALID;
    for (let k = 1 + Math.floor(next() * 3); k > 0; k--) config = mutate(config, next);
    writeFileSync(configPath, config);
    let result: ReturnType<typeof compileTranspile>;
    try {
      result = compileTranspile(SOURCE, { fileName, pluginOptions: {} });
    } catch (error) {
      assert.unreachable(`mutation ${i} threw ${String(error)}:\n${JSON.stringify(config)}`);
      return;
    }
    assert.ok(result.js.includes('function work'), `~> mutation ${i} still compiled`);
    for (const d of result.diagnostics) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      if (!/^TT1\d{3}: /.test(text)) assert.unreachable(`mutation ${i}: ${text}`);
      if (d.file !== undefined && (d.start! < 0 || d.start! > d.file.text.length)) assert.unreachable(`mutation ${i}: position ${d.start} outside the file`);
    }
    if (result.diagnostics.length) reported++;
  }
  assert.ok(reported > 300, `~> ${reported} of 1,000 mutations were reported`);
});
fuzz('C8 hostile plugin options (wrong types, cycles, huge arrays, functions) never throw out of the compiler', () => {
  const cyclic: Record<string, unknown> = { include: ['**/*.ts'] };
  cyclic.tags = cyclic;
  const options: unknown[] = [
    null,
    42,
    'include',
    [],
    { include: 'src/**', kinds: 'function' },
    { include: [null, 1, {}], functions: [] },
    { functions: { include: [Symbol('x')] } },
    { tags: { a: { nested: true } } },
    cyclic,
    { include: Array.from({ length: 100_000 }, (_, i) => `dir${i}/**`) },
    { include: () => ['**'] },
    { config: 42 },
    { config: 'missing.json' },
  ];
  for (const [i, pluginOptions] of options.entries()) {
    for (const compile of [compileProgram, compileTranspile]) {
      let result: ReturnType<typeof compileProgram> | undefined;
      try {
        result = compile(SOURCE, { fileName: project(undefined), pluginOptions: pluginOptions as never });
      } catch (error) {
        assert.unreachable(`options ${i} (${compile.name}) threw ${String(error)}`);
      }
      assert.ok(result!.js.includes('function work'), `~> options ${i} (${compile.name}) still compiled`);
    }
  }
});
fuzz.run();

const throws = (): never => {
  throw new Error('options trap');
};
/** Plugin options given in code that cannot be read; `spreadable` ones survive `{ ...options }` (createTransformer's caller). */
const UNREADABLE: readonly { label: string; options: () => unknown; spreadable: boolean }[] = [
  { label: 'a Proxy whose get and ownKeys traps throw', options: () => new Proxy({}, { get: throws, ownKeys: throws }), spreadable: false },
  { label: 'a Proxy whose get trap throws', options: () => new Proxy({ include: ['**/*.ts'] }, { get: throws }), spreadable: false },
  { label: 'a getter that throws', options: () => ({ get include() { return throws(); } }), spreadable: false },
  {
    label: 'a revoked Proxy',
    options: () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    },
    spreadable: false,
  },
  { label: 'a nested Proxy whose traps throw', options: () => ({ functions: new Proxy({}, { get: throws, ownKeys: throws }) }), spreadable: true },
  {
    label: 'a trap that throws a Proxy whose every trap throws',
    options: () => ({ tags: new Proxy({}, { ownKeys: () => { throw new Proxy({}, { get: throws, getPrototypeOf: throws }); } }) }),
    spreadable: true,
  },
];

const unreadable = suite('C8.95 plugin options that cannot be read');
const MARKED = `/** @traced */\n${SOURCE}`;
unreadable('C8.95 the marked function is traced with readable options (the control)', () => {
  const { js, diagnostics } = compileProgram(MARKED, { fileName: project(undefined), pluginOptions: {} });
  assert.equal(describe(diagnostics), []);
  assert.match(js, '__traced', '~> traced');
});
for (const row of UNREADABLE) {
  unreadable(`C8.95 ${row.label}: one TT1009 naming the plugin options, nothing thrown, the build goes on untraced`, () => {
    for (const compile of row.spreadable ? [compileProgram, compileTranspile] : [compileProgram]) {
      let result: ReturnType<typeof compileProgram>;
      try {
        result = compile(MARKED, { fileName: project(undefined), pluginOptions: row.options() as never });
      } catch {
        return assert.unreachable(`${compile.name} threw`);
      }
      const lines = describe(result.diagnostics);
      assert.is(lines.length, 1, `~> one diagnostic (${compile.name}):\n${lines.join('\n')}`);
      assert.match(lines[0], /^\(no file\) TT1009: cannot read the ts-traced plugin options( in \S+)?: /);
      assert.is(result.diagnostics[0].category, ts.DiagnosticCategory.Error);
      assert.match(result.js, 'export function work', '~> still compiled');
      assert.not.match(result.js, '__traced', '~> untraced, as with any config error');
    }
  });
}
unreadable.run();

const TT1009 = /TT1009: cannot read the ts-traced plugin options/;
const unreadableInCode = suite('C8.95 options that cannot be read, given in code to createTransformer, createTextRewriter, the bundler plugin');
for (const row of UNREADABLE) {
  unreadableInCode(`C8.95 ${row.label}: createTransformer reports TT1009 (thrown as its diagnostics, as without onDiagnostic), not what the options threw`, () => {
    let thrown: unknown;
    try {
      createTransformer(ts, row.options() as never);
    } catch (error) {
      thrown = error;
    }
    assert.instance(thrown, Error);
    assert.match((thrown as Error).message, TT1009);
  });
  unreadableInCode(`C8.95 ${row.label}: createTextRewriter has one TT1009 and leaves the file untraced`, () => {
    const fileName = project(undefined);
    const rewriter = createTextRewriter(ts, row.options() as never);
    const lines = describe(rewriter.diagnostics);
    assert.is(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], TT1009);
    assert.is(rewriter.rewrite(fileName, MARKED).code, MARKED, '~> untraced');
  });
  unreadableInCode(`C8.95 ${row.label}: the bundler plugin fails the build with TT1009 through esbuild's error reporting`, async () => {
    const esbuild = await import('esbuild');
    const fileName = project(undefined);
    writeFileSync(fileName, MARKED);
    let failure: unknown;
    try {
      await esbuild.build({ entryPoints: [fileName], write: false, logLevel: 'silent', plugins: [tracedEsbuild(row.options() as never)] });
    } catch (error) {
      failure = error;
    }
    const errors = (failure as { errors?: { text: string; pluginName?: string }[] } | undefined)?.errors ?? [];
    assert.equal(errors.map((e) => e.pluginName), ['ts-traced'], '~> one build error, from the plugin');
    assert.match(errors[0].text, TT1009);
  });
}
unreadableInCode('C8.95 createTransformer with a readable onDiagnostic and an unreadable key: one TT1009 through it, nothing thrown, untraced', () => {
  const found: ts.Diagnostic[] = [];
  const options = { onDiagnostic: (d: ts.Diagnostic) => found.push(d), get include(): string[] { return throws(); } };
  const js = ts.transpileModule(MARKED, { fileName: project(undefined), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, transformers: { before: [createTransformer(ts, options)] } }).outputText;
  assert.equal(describe(found).map((l) => TT1009.test(l)), [true]);
  assert.not.match(js, '__traced', '~> untraced');
});
unreadableInCode.run();

const RULES = `{
  "include": [
    "src/payments/**",
    "src/paymnts/**"
  ],
  "functions": {
    "include": [
      "charge*",
      "chargeCrad"
    ]
  }
}
`;
const PAYMENTS = `export function chargeCard(cents: number): number {\n  return cents * 2;\n}\n`;
const MAIN = `import { chargeCard } from './payments/card';\nconsole.log(chargeCard(21));\n`;
/** The warnings RULES must give, as tsc prints them (`--pretty false`): the two rules that select nothing. */
const EXPECTED = [
  'traced.config.json(4,5): warning TS91008: TT1008: include[1]: "src/paymnts/**" matches no source file of the program.',
  'traced.config.json(9,7): warning TS91008: TT1008: functions.include[1]: no function is named "chargeCrad" in the modules the rules apply to.',
];

const unmatched = suite('C8.98 rules that select nothing');

unmatched('C8.98 through a ts.Program: one warning per rule that selects nothing, at its line; the rules that match are silent; the emit is whole', () => {
  const dir = join(TMP, 'reliability-config', 'unmatched-program');
  rmSync(dir, { recursive: true, force: true });
  for (const [file, text] of Object.entries({ 'traced.config.json': RULES, 'src/payments/card.ts': PAYMENTS, 'src/main.ts': MAIN })) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const options = { ...compilerOptionsOf({ module: 'CommonJS', outDir: 'dist' }, join(dir, 'tsconfig.json')), configFilePath: join(dir, 'tsconfig.json') };
  const program = ts.createProgram([join(dir, 'src/main.ts'), join(dir, 'src/payments/card.ts')], options);
  const found: ts.Diagnostic[] = [];
  const written = new Map<string, string>();
  const before = [tracedTransformer(program, {}, { ts, addDiagnostic: (d) => found.push(d) })];
  const result = program.emit(undefined, (name, text) => written.set(name.slice(dir.length + 1), text), undefined, false, { before });
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
  const lines = ts.formatDiagnostics(found, host).trim().split('\n');
  assert.equal(lines.map((l) => l.replace(/ It traces nothing.*$/, '')), EXPECTED, '~> each once, at the line and column of its element');
  for (const d of found) assert.is(d.category, ts.DiagnosticCategory.Warning, '~> a warning, not an error');
  assert.is(result.emitSkipped, false);
  assert.match(written.get('dist/payments/card.js') ?? '', /function chargeCard\(cents\) \{\s+const \$s = __traced\.v1\.enter/, '~> what the rules select is traced');
  assert.ok(written.has('dist/main.js'), '~> every file is emitted');
});

unmatched('C8.98 tspc: the same warnings printed once each, exit code 0, the output written and traced', () => {
  buildPackage();
  const dir = tspcProject('unmatched-rules', { 'traced.config.json': RULES, 'src/payments/card.ts': PAYMENTS, 'src/main.ts': MAIN });
  const compiled = runNode(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is(compiled.status, 0, `~> warnings alone do not fail the build: ${compiled.output}`);
  assert.equal(compiled.output.trim().split('\n').map((l) => l.replace(/ It traces nothing.*$/, '')), EXPECTED, '~> nothing else printed');
  assert.ok(existsSync(join(dir, 'dist', 'main.js')), '~> the output is written');
  assert.match(readFileSync(join(dir, 'dist', 'payments', 'card.js'), 'utf8'), /const \$s = __traced\.v1\.enter\(\$site_\d\);/);
  const executed = runNode(join(dir, 'dist', 'main.js'), [], dir);
  assert.equal([executed.status, executed.output], [0, '42\n'], '~> and it runs');
});

unmatched.run();
