/**
 * C8.98 below the reliability test: what `selectSites` notes about the config rules in a file, how
 * `unmatchedRules` turns the notes of every file into one TT1008 warning per rule that selects nothing (at the
 * rule's line, naming what is missing), and that the Program entry reports them once per Program while
 * transpileModule, which sees one file, reports none.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/transformer/config/load';
import type { ResolvedConfig } from '../../src/transformer/config/types';
import tracedTransformer from '../../src/transformer/index';
import { selectSites } from '../../src/transformer/select/index';
import { unmatchedRules } from '../../src/transformer/select/rule-use';
import { compileProgram, compileTranspile, formatDiagnostic } from '../helpers/compile';
import { TMP } from '../helpers/exec';

const BILLING = `export function chargeCard(cents: number): number {
  return cents;
}
export class Billing {
  get total(): number {
    return 1;
  }
  /** @traced */
  refund(): void {}
}
`;

let counter = 0;
/** A project folder with traced.config.json = `config` (unless undefined) and `files`; returns its root. */
function project(config: string | undefined, files: Record<string, string> = { 'src/payments/billing.ts': BILLING }): string {
  const root = join(TMP, 'rule-use', String(counter++));
  rmSync(root, { recursive: true, force: true });
  for (const [path, text] of Object.entries({ ...files, ...(config === undefined ? {} : { 'traced.config.json': config }) })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function configOf(root: string, options: object = {}): ResolvedConfig {
  const loaded = loadConfig(ts, options, { projectRoot: root, tsconfigPath: join(root, 'tsconfig.json') });
  assert.equal(loaded.diagnostics, [], '~> a valid config');
  return loaded.config;
}

/** Selects every file as a whole-program caller does, and formats the warnings: `TT1008 traced.config.json:3:5 ...`. */
function warnings(root: string, files: Record<string, string> = { 'src/payments/billing.ts': BILLING }, options: object = {}): string[] {
  const config = configOf(root, options);
  const uses = Object.entries(files).map(([path, text]) => {
    const file = ts.createSourceFile(join(root, path), text, ts.ScriptTarget.ES2022, true);
    return selectSites(ts, file, config, { projectRoot: root }).rules;
  });
  const found = unmatchedRules(ts, config, uses);
  for (const d of found) assert.is(d.category, ts.DiagnosticCategory.Warning, '~> a warning, not an error');
  return found.map((d) => formatDiagnostic(d, root));
}

const SUFFIX = 'It traces nothing: fix it or remove it.';

// ---------------------------------------------------------------------------------------------------------

const notes = suite('selectSites: rule notes');

notes('names the include globs that match the file, the rules that select, and the name patterns left out', () => {
  const root = project(undefined);
  const config = configOf(root, { include: ['src/**', 'src/payments/*.ts', 'lib/**'], functions: { include: ['charge*', 'total', 'refund', 'none'] } });
  const file = ts.createSourceFile(join(root, 'src/payments/billing.ts'), BILLING, ts.ScriptTarget.ES2022, true);
  const { rules } = selectSites(ts, file, config, { projectRoot: root });
  assert.is(rules.file, 'src/payments/billing.ts');
  assert.equal(rules.modules, ['include[0]', 'include[1]'], '~> every glob that matches, not only the first');
  assert.equal([...rules.selecting].sort(), ['functions.include[0]', 'functions.include[2]', 'include[0]', 'include[1]'], '~> a marked function the rules match counts');
  assert.equal([...rules.leftOut], [
    ['functions.include[1]', 'matches get Billing.total (src/payments/billing.ts:5), which the rules leave out: kind "accessor" is not in "kinds"'],
  ]);
});

notes('a file no include glob matches, or that exclude takes out, notes nothing', () => {
  const root = project(undefined);
  for (const options of [{ include: ['lib/**'] }, { include: ['src/**'], exclude: ['**/billing.ts'] }]) {
    const file = ts.createSourceFile(join(root, 'src/payments/billing.ts'), BILLING, ts.ScriptTarget.ES2022, true);
    const { rules } = selectSites(ts, file, configOf(root, options), { projectRoot: root });
    assert.equal([rules.modules, [...rules.selecting], [...rules.leftOut]], [[], [], []], `~> ${JSON.stringify(options)}`);
  }
});

notes.run();

// ---------------------------------------------------------------------------------------------------------

const unmatched = suite('unmatchedRules');

unmatched('one warning per rule that selects nothing, at its element, saying what is missing', () => {
  const root = project(`{
  "include": [
    "src/payments/**",
    "src/paymnts/**",
    "src/types/**"
  ],
  "functions": {
    "include": ["charge*", "chargeCrad", "refund*x", "total"]
  }
}
`);
  const files = { 'src/payments/billing.ts': BILLING, 'src/types/t.ts': 'export interface T {\n  a: number;\n}\n' };
  assert.equal(warnings(root, files), [
    `TT1008 traced.config.json:4:5 include[1]: "src/paymnts/**" matches no source file of the program. ${SUFFIX}`,
    `TT1008 traced.config.json:5:5 include[2]: "src/types/**" matches src/types/t.ts, but the rules select no function there. ${SUFFIX}`,
    `TT1008 traced.config.json:8:28 functions.include[1]: no function is named "chargeCrad" in the modules the rules apply to. ${SUFFIX}`,
    `TT1008 traced.config.json:8:42 functions.include[2]: "refund*x" matches no function in the modules the rules apply to. ${SUFFIX}`,
    `TT1008 traced.config.json:8:54 functions.include[3]: "total" matches get Billing.total (src/payments/billing.ts:5), which the rules leave out: kind "accessor" is not in "kinds". ${SUFFIX}`,
  ]);
});

unmatched('rules that each select something: no warning; a glob over several files says how many', () => {
  const root = project(`{ "include": ["src/**"], "functions": { "include": ["charge*", "Billing.refund"] } }`);
  assert.equal(warnings(root), []);
  const types = project(`{ "include": ["src/payments/**", "src/types/**"] }`);
  const files = { 'src/payments/billing.ts': BILLING, 'src/types/a.ts': 'export type A = 1;\n', 'src/types/b.ts': 'export type B = 2;\n' };
  assert.equal(warnings(types, files), [
    `TT1008 traced.config.json:1:34 include[1]: "src/types/**" matches 2 source files (src/types/a.ts, …), but the rules select no function there. ${SUFFIX}`,
  ]);
});

unmatched('include that matches no file: its own warning, not one per name pattern as well', () => {
  const root = project(`{\n  "include": ["lib/**"],\n  "functions": { "include": ["charge*"] }\n}\n`);
  assert.equal(warnings(root), [`TT1008 traced.config.json:2:15 include[0]: "lib/**" matches no source file of the program. ${SUFFIX}`]);
});

unmatched('name patterns without include select nothing, and say why', () => {
  const root = project(`{\n  "functions": { "include": ["chargeCard"] }\n}\n`);
  assert.equal(warnings(root), [
    `TT1008 traced.config.json:2:30 functions.include[0]: "chargeCard" selects nothing: the rules apply to no module ("include" is not set). ${SUFFIX}`,
  ]);
});

unmatched('a rule given in code, with no tsconfig entry to point at, is named as a plugin option', () => {
  const root = project(undefined);
  assert.equal(warnings(root, undefined, { include: ['lib/**'] }), [
    `TT1008 include[0] of the ts-traced plugin options: "lib/**" matches no source file of the program. ${SUFFIX}`,
  ]);
});

unmatched('a disabled config reports nothing', () => {
  const root = project(`{ "enabled": false, "include": ["lib/**"] }`);
  assert.equal(warnings(root), []);
});

unmatched.run();

// ---------------------------------------------------------------------------------------------------------

const modes = suite('tracedTransformer: rules that select nothing');

modes('Program mode warns once per Program, however many transformers ts-patch makes for it; transpileModule never', () => {
  const root = project(`{\n  "include": ["**/*.ts"],\n  "functions": { "include": ["chargeCard", "payOut"] }\n}\n`, {});
  const fileName = join(root, 'billing.ts');
  const program = compileProgram(BILLING, { fileName, pluginOptions: {} });
  assert.equal(program.diagnostics.map((d) => formatDiagnostic(d, root)), [
    `TT1008 traced.config.json:3:44 functions.include[1]: no function is named "payOut" in the modules the rules apply to. ${SUFFIX}`,
  ]);
  assert.match(program.js, /function chargeCard\(cents\) \{\s+const \$s = __traced\.v1\.enter/, '~> the file is still traced');
  assert.equal(compileTranspile(BILLING, { fileName, pluginOptions: {} }).diagnostics, [], '~> one file is not the program');

  const tsProgram = ts.createProgram([fileName], { configFilePath: join(root, 'tsconfig.json') } as ts.CompilerOptions);
  const found: ts.Diagnostic[] = [];
  for (let emit = 0; emit < 3; emit++) tracedTransformer(tsProgram, {}, { ts, addDiagnostic: (d) => found.push(d) });
  assert.is(found.length, 1, '~> one warning for three emits of one Program');
});

modes.run();
