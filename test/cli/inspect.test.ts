/**
 * `traced inspect`: on every golden fixture (as a one-file project) it reports exactly what the AST transformer
 * traces and the problems it reports; on the playground, run as users run it (the CLI in a child process),
 * the JSON says what the playground's markers and traced.config.json select, and the table says the same.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReport, inspectProject, type InspectReport } from '../../src/cli/inspect';
import { compileFile, formatDiagnostic } from '../helpers/compile';
import { goldenCases, siteRecordsOf } from '../pipelines/cases';

const root = resolve(__dirname, '..', '..');
const tmp = join(__dirname, '.tmp', 'inspect');
mkdirSync(tmp, { recursive: true });

function traced(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const inspect = suite('inspectProject');

for (const c of goldenCases()) {
  inspect(`${c.group}/${c.name}: reports what the AST transformer traces and the problems it reports`, () => {
    const input = join(c.dir, 'input.ts');
    const project = join(tmp, `${c.group}-${c.name}`);
    mkdirSync(project, { recursive: true });
    // A copy of the case as a project of its own (fixtures are read-only): its input and traced.config.json.
    for (const file of ['input.ts', 'traced.config.json']) if (existsSync(join(c.dir, file))) copyFileSync(join(c.dir, file), join(project, file));
    const compilerOptions = { target: 'ES2022', module: 'ESNext', strict: true, skipLibCheck: true, types: [], ...c.compilerOptions };
    const plugin = { transform: 'ts-traced/transformer', ...c.pluginOptions };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, plugins: [plugin] }, files: ['input.ts'] }));

    const report = inspectProject(join(project, 'tsconfig.json'));
    const ast = compileFile({ fileName: input, compilerOptions: c.compilerOptions, pluginOptions: c.pluginOptions });
    const records = siteRecordsOf('output.js', ast.js) as { name: string; line: number; kind: number }[];
    const kinds = ['sync', 'async', 'generator', 'asyncGenerator'];
    const entries = report.files.flatMap((f) => f.traced);
    assert.equal(
      entries.map((e) => `${e.name} ${e.kind} line ${e.line}`),
      records.map((r) => `${r.name} ${kinds[r.kind]} line ${r.line}`),
      '~> the traced functions are the ones the AST transformer emits site records for',
    );
    const problems = [...report.problems, ...report.files.flatMap((f) => f.problems)];
    const expected = ast.diagnostics.map((d) => formatDiagnostic(d, c.dir).split(' ')[0]);
    assert.equal(problems.map((p) => p.code).sort(), expected.sort(), '~> the same problems as the build');
    assert.is(report.totals.traced, records.length);
  });
}

inspect.run();

const cli = suite('traced inspect');
const playground = join(root, 'playground');
const playgroundSources = () =>
  (readdirSync(join(playground, 'src'), { recursive: true }) as string[]).filter((f) => /\.ts$/.test(f)).length;

cli('--json on the playground: markers, the services rule, and what the rule leaves out', () => {
  const { code, stdout, stderr } = traced('inspect', 'playground', '--json');
  assert.is(stderr, '');
  assert.is(code, 0);
  const report = JSON.parse(stdout) as InspectReport;
  assert.is(report.tsconfig, join(playground, 'tsconfig.json'));
  assert.is(report.configFile, join(playground, 'traced.config.json'));
  const byName = new Map(report.files.flatMap((f) => f.traced.map((t) => [t.name, { ...t, file: f.file }] as const)));
  const place = byName.get('orders.place');
  assert.ok(place, '~> the @traced method is listed under its span name');
  assert.equal(
    { file: place.file, kind: place.kind, selectedBy: place.selectedBy, args: place.args, tags: place.tags, function: place.function, namespace: place.namespace },
    { file: 'src/orders.ts', kind: 'async', selectedBy: 'decorator', args: ['orderId'], tags: { component: 'orders' }, function: 'place', namespace: 'Orders' },
  );
  assert.equal(byName.get('priceOf') && { selectedBy: byName.get('priceOf')!.selectedBy, kind: byName.get('priceOf')!.kind }, { selectedBy: 'jsdoc', kind: 'sync' });
  const services = report.files.filter((f) => f.file.startsWith('src/services/'));
  assert.ok(services.length > 0);
  for (const t of services.flatMap((f) => f.traced)) {
    assert.is(t.selectedBy, 'config', `~> ${t.name} is selected by the rule`);
    assert.is(t.rule, 'include "src/services/**"');
    assert.is(t.requireActiveTrace, true, '~> rule-selected spans start only inside a trace');
    assert.not.match(t.name, /^get/, '~> get* is excluded');
  }
  const skipped = services.flatMap((f) => f.skipped);
  const getStock = skipped.find((s) => s.name === 'getStock');
  assert.equal(getStock?.reason, 'name matches "functions.exclude" pattern "get*"');
  assert.ok(report.files.every((f) => !f.file.startsWith('src/services/') || f.traced.length + f.skipped.length > 0));
  assert.is(report.totals.files, playgroundSources(), '~> every source file of the project was read');
  assert.is(report.totals.problems, 0);
  assert.is(report.totals.traced, report.files.reduce((n, f) => n + f.traced.length, 0));
});

cli('the table says what the JSON says, one row per function, in source order', () => {
  const { code, stdout } = traced('inspect', 'playground/tsconfig.json');
  assert.is(code, 0);
  const report = inspectProject(join(playground, 'tsconfig.json'));
  assert.is(stdout, `${formatReport(report, root)}\n`);
  const rows = stdout.split('\n').filter((l) => /^\s+\d+:\d+\s+(traced|skipped)/.test(l));
  assert.is(rows.length, report.totals.traced + report.totals.skipped);
  assert.match(stdout, /^\s+\d+:\d+\s+traced\s+orders\.place\s+async\s+@traced$/m);
  assert.match(stdout, /^\s+\d+:\d+\s+skipped\s+getStock\s+name matches "functions.exclude" pattern "get\*"$/m);
  const { traced: t, skipped: s } = report.totals;
  assert.is(stdout.trimEnd().split('\n').at(-1)!, `${t} traced, ${s} skipped, 0 problems in ${playgroundSources()} files`);
});

/** A project of one source file, `src/<name>`, with the given traced.config.json. */
function smallProject(label: string, config: string, source: [name: string, text: string]): string {
  const project = join(tmp, label);
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ESNext', target: 'ES2022' }, include: ['src'] }));
  writeFileSync(join(project, 'traced.config.json'), config);
  writeFileSync(join(project, 'src', source[0]), source[1]);
  return project;
}

cli('a config error is listed with file:line:column and the exit code is 1', () => {
  const project = smallProject('bad-config', '{\n  "include": ["src/**"],\n  "kinds": ["lambda"]\n}\n', ['a.ts', '/** @traced */\nexport function a() { return 1; }\n']);
  const { code, stdout } = traced('inspect', project, '--json');
  assert.is(code, 1);
  const report = JSON.parse(stdout) as InspectReport;
  assert.equal(report.problems.map((p) => `${p.code} ${p.file}:${p.line}:${p.column}`), ['TT1002 traced.config.json:3:13']);
  assert.is(report.totals.traced, 0, '~> a config with errors leaves every file untouched, as the build does');
});

cli('C8.98 a rule that selects nothing is a warning on stderr at its line; the exit code and the table stay; --json lists it', () => {
  const config = '{\n  "include": ["src/**"],\n  "functions": {\n    "include": ["charge*", "chargeCrad"]\n  }\n}\n';
  const project = smallProject('unmatched-rule', config, ['card.ts', 'export function chargeCard() { return 1; }\n']);
  const table = traced('inspect', project);
  assert.is(table.code, 0, '~> a warning does not change the exit code');
  assert.is(
    table.stderr,
    'traced.config.json:4:28: warning TT1008 functions.include[1]: no function is named "chargeCrad" in the modules the rules apply to. It traces nothing: fix it or remove it.\n',
  );
  assert.match(table.stdout, /^\s+1:17\s+traced\s+chargeCard\s+sync\s+rule include "src\/\*\*", functions.include "charge\*"$/m);
  const json = traced('inspect', project, '--json');
  assert.is(json.code, 0);
  assert.is(json.stderr, table.stderr);
  const report = JSON.parse(json.stdout) as InspectReport;
  assert.equal(report.warnings.map((w) => `${w.code} ${w.file}:${w.line}:${w.column}`), ['TT1008 traced.config.json:4:28']);
  assert.equal([report.problems, report.totals.problems], [[], 0], '~> not counted as a problem');
});

cli('a missing tsconfig is a one-line error; --help prints the usage', () => {
  const missing = traced('inspect', 'no/such/tsconfig.json');
  assert.is(missing.code, 1);
  assert.is(missing.stderr, 'traced inspect: cannot read no/such/tsconfig.json: no such file\n');
  const help = traced('inspect', '--help');
  assert.is(help.code, 0);
  assert.match(help.stdout, /^Usage: traced inspect/);
});

cli.run();
