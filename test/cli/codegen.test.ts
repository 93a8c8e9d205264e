/**
 * `traced codegen`, run as users run it (the CLI in a child process) on the pipeline test app, then compiled by
 * compilers that cannot run a TypeScript transformer: esbuild (a bundle) and TypeScript 7 (compat/ts7, `tsc -p`
 * on the generated folder). Each build must log what the plain build logs, with no tracer and with one, and
 * record the very spans the tspc build (ts-patch + the plugin) records (harness.ts `referenceRuns`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bundle, referenceRuns, runApp, sh, stageApp } from '../pipelines/harness';

const root = resolve(__dirname, '..', '..');
const cli = join(root, 'src', 'cli', 'index.ts');
const ts7 = join(root, 'compat', 'ts7', 'node_modules', '.bin', 'tsc');

const traced = (cwd: string, ...args: string[]) => sh(process.execPath, ['--import', 'tsx', cli, ...args], cwd);

const codegen = suite('traced codegen');

codegen('writes every source of the project, instrumented where selected, with a map and a tsconfig that extends the project', () => {
  const app = stageApp('codegen-files', 'module');
  const stdout = traced(app, 'codegen', '.', '--out', '.traced');
  const out = join(app, '.traced');
  const sources = readdirSync(join(app, 'src'), { recursive: true }).filter((f) => String(f).endsWith('.ts')).map(String);
  assert.match(stdout, new RegExp(`^traced codegen: \\d+ functions instrumented in ${sources.length - 1} of ${sources.length} files, written to \\.traced\n$`));
  for (const file of sources) {
    const original = readFileSync(join(app, 'src', file), 'utf8');
    const written = readFileSync(join(out, 'src', file), 'utf8');
    if (file === 'main.ts') assert.is(written, original, '~> a file with nothing to trace is copied as it is');
    else {
      assert.ok(written.includes('__traced.v1.enter('), `~> ${file} is instrumented`);
      const lines = written.split('\n');
      assert.match(lines.at(-2)!, new RegExp(`^//# sourceMappingURL=${file.split('/').pop()}\\.map$`));
      assert.is(lines.length - 1, original.split('\n').length, `~> ${file} keeps its lines (plus the map comment)`);
      const map = JSON.parse(readFileSync(join(out, 'src', `${file}.map`), 'utf8')) as { sources: string[] };
      assert.equal(map.sources.map((s) => resolve(join(out, 'src', file, '..'), s)), [join(app, 'src', file)], '~> the map points at the source');
    }
  }
  const tsconfig = JSON.parse(readFileSync(join(out, 'tsconfig.json'), 'utf8'));
  assert.equal(tsconfig, {
    extends: '../tsconfig.json',
    compilerOptions: { plugins: [], rootDir: 'src' },
    files: sources.map((f) => `src/${f}`).sort((a, b) => a.localeCompare(b)).sort((a, b) => a.split('/').length - b.split('/').length),
    include: [],
  });
});

codegen('the output bundled by esbuild behaves as the plain build and records the spans of the tspc build', async () => {
  const { plain, tspc: reference } = await referenceRuns();
  const app = stageApp('codegen-esbuild', 'module');
  traced(app, 'codegen', 'tsconfig.json', '-o', 'gen');
  await bundle(join(app, 'gen', 'src', 'main.ts'), join(app, 'out', 'main.mjs'), 'esm');
  assert.equal(runApp(join(app, 'out', 'main.mjs'), 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(join(app, 'out', 'main.mjs'), 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, reference.spans, '~> the same spans as the tspc build');
});

codegen('the output compiled by TypeScript 7 type-checks, behaves as the plain build and records the spans of the tspc build', async () => {
  assert.ok(existsSync(ts7), `TypeScript 7 is installed by npm ci --prefix compat/ts7 (${relative(root, ts7)})`);
  assert.match(sh(ts7, ['--version'], root), /^Version 7\./);
  const { plain, tspc: reference } = await referenceRuns();
  const app = stageApp('codegen-ts7', 'commonjs');
  traced(app, 'codegen', '.', '--out', '.traced');
  sh(ts7, ['-p', join(app, '.traced')], app);
  const main = join(app, 'dist', 'main.js');
  assert.ok(readFileSync(main, 'utf8').includes('require("ts-traced/runtime")') === false, '~> main.ts has nothing traced');
  assert.ok(readFileSync(join(app, 'dist', 'pricing.js'), 'utf8').includes('require("ts-traced/runtime")'), '~> CommonJS output');
  assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, reference.spans, '~> the same spans as the tspc build');
});

codegen('a source folder without tsconfig.json; --out inside the sources is refused; a config error writes nothing', () => {
  const app = stageApp('codegen-errors', 'module');
  const ok = traced(join(app, 'src'), 'codegen', '.', '--out', join(app, 'gen-folder'));
  assert.match(ok, /functions instrumented in 2 of 4 files/, "~> markers only: no traced.config.json in the folder");
  assert.ok(readFileSync(join(app, 'gen-folder', 'pricing.ts'), 'utf8').includes('__traced.v1.enter('), '~> markers work without a tsconfig');
  assert.not.ok(existsSync(join(app, 'gen-folder', 'tsconfig.json')));

  let error = '';
  try {
    traced(app, 'codegen', '.', '--out', 'src');
  } catch (e) {
    error = (e as Error).message;
  }
  assert.match(error, /exited with 2:\ntraced codegen: --out src holds the project's own sources: choose another folder/);

  const broken = stageApp('codegen-bad-config', 'module');
  require('node:fs').writeFileSync(join(broken, 'traced.config.json'), '{ "include": "src/**" }');
  try {
    traced(broken, 'codegen', '.', '--out', 'gen');
    error = '';
  } catch (e) {
    error = (e as Error).message;
  }
  assert.match(error, /exited with 1:\n.*traced\.config\.json\(1,3\): error TS91002: TT1002: include: must be/);
  assert.not.ok(existsSync(join(broken, 'gen')), '~> nothing written');
});

codegen('C8.98 a rule that selects nothing is a warning on stderr at its line; the exit code stays 0 and everything is written', () => {
  const app = stageApp('codegen-unmatched', 'module');
  writeFileSync(join(app, 'traced.config.json'), '{\n  "include": [\n    "src/services/**",\n    "src/servces/**"\n  ]\n}\n');
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, 'codegen', '.', '--out', 'gen'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
  assert.is(result.status, 0, `~> exit code 0: ${result.stderr}`);
  assert.is(
    result.stderr,
    'traced.config.json(4,5): warning TS91008: TT1008: include[1]: "src/servces/**" matches no source file of the program. It traces nothing: fix it or remove it.\n',
  );
  assert.match(result.stdout, /^traced codegen: \d+ functions instrumented in \d+ of \d+ files, written to gen\n$/);
  assert.ok(existsSync(join(app, 'gen', 'tsconfig.json')), '~> everything written');
});

codegen.run();
