/**
 * The behaviour-equivalence scripts (test/transformer/equivalence/cases.ts) on the output of every pipeline.
 * The equivalence modules are staged as a CommonJS project of their own (one tsconfig: CommonJS, not strict, so
 * sloppy.ts stays a sloppy script, experimentalDecorators for decorators.ts); each pipeline builds it once, and
 * equivalence-runner.ts runs every script on the build in a child process, without a tracer and recording.
 * Every build must log the transcripts of the plain tsc build and record the spans of the AST plugin's build
 * (tspc, TypeScript 5). The in-process suite (test/transformer/equivalence.test.ts) checks the spans themselves.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/compile';
import { CASES } from '../transformer/equivalence/cases';
import { packageUnderTest, sh, TMP } from './harness';

const SOURCES = join(ROOT, 'test', 'transformer', 'equivalence');
const RUNNER = join(TMP, 'equivalence-runner.cjs');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSPC = join(ROOT, 'node_modules', 'ts-patch', 'bin', 'tspc.js');
const TS7 = join(ROOT, 'compat', 'ts7', 'node_modules', '.bin', 'tsc');
const TS6 = join(ROOT, 'compat', 'ts6', 'node_modules');
const NODE_22 = join(TS6, '.bin', 'node');
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'CommonJS',
    strict: false,
    experimentalDecorators: true,
    skipLibCheck: true,
    types: ['node'],
    rootDir: 'src',
    outDir: 'dist',
    plugins: [{ transform: 'ts-traced/transformer' }],
  },
  include: ['src'],
};

type Results = Record<string, { lines: string[]; spans: string[] }>;

/** The equivalence modules (not the scripts) in .tmp/<test>/<label>/src, as a CommonJS project; returns its folder. */
function stage(label: string): string {
  packageUnderTest();
  const dir = join(TMP, label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (const file of readdirSync(SOURCES)) if (file !== 'cases.ts') cpSync(join(SOURCES, file), join(dir, 'src', file));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: label, private: true, type: 'commonjs' }, null, 2));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  return dir;
}

let runnerBuilt = false;

/** Every script on the build in `dir` (modules `<name><extension>`), in a child process. */
function run(dir: string, extension: string, mode: 'plain' | 'record', nodeArgs: string[] = [], node = process.execPath, cwd = dir): Results {
  if (!runnerBuilt) {
    const entry = join(__dirname, 'equivalence-runner.ts');
    buildSync({ entryPoints: [entry], outfile: RUNNER, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'error' });
    runnerBuilt = true;
  }
  const result = spawnSync(node, [...nodeArgs, RUNNER, dir, extension, mode], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${dir} (${mode}) exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Results;
}

interface References {
  readonly plain: Results;
  readonly traced: Results;
}

let references: References | undefined;

/** Plain tsc's transcripts and the spans of the AST plugin's build (tspc), built once. */
function referenceRuns(): References {
  if (references) return references;
  const plainApp = stage('equivalence-tsc');
  sh(process.execPath, [TSC, '-p', plainApp], plainApp);
  const tracedApp = stage('equivalence-tspc');
  sh(process.execPath, [TSPC, '-p', tracedApp], tracedApp);
  const plain = run(join(plainApp, 'dist'), '.js', 'plain');
  const traced = run(join(tracedApp, 'dist'), '.js', 'record');
  for (const key of Object.keys(CASES)) {
    assert.ok(plain[key].lines.length > 0, `~> ${key} logs something`);
    assert.equal(traced[key].lines, plain[key].lines, `~> ${key}: the tspc build logs what the plain build logs`);
  }
  references = { plain, traced };
  return references;
}

/**
 * What a compiler does differently from tsc 5 whatever the instrumentation, by case: the transcript is then held
 * to the plain one as far as the compiler allows, and to the build's own untraced transcript in full.
 * - `esbuild`: it defines CommonJS exports in alphabetical order (tsc: declaration order), and `this` at the top
 *   level of an ES module is undefined (tsc: `exports`), which the object literal's arrow logs (thisArgs line 2).
 * - `alwaysStrict`: TypeScript 6 and 7 always emit "use strict", so sloppy.ts runs in strict mode.
 */
type Difference = 'esbuild' | 'alwaysStrict';
const DIFFERENCES: Record<Difference, Partial<Record<keyof typeof CASES, (lines: string[]) => string[]>>> = {
  esbuild: { thisArgs: (lines) => lines.filter((_, i) => i !== 1), shapeFunctions: (lines) => [...lines].sort(), shapeGenerators: (lines) => [...lines].sort(), shapeAsync: (lines) => [...lines].sort() },
  alwaysStrict: { sloppy: () => [] },
};

/** The build, with no tracer and recording, logs every case's plain transcript and records the tspc spans. */
function assertEquivalent(build: (mode: 'plain' | 'record') => Results, difference?: Difference): void {
  const { plain, traced } = referenceRuns();
  const untraced = build('plain');
  const recorded = build('record');
  for (const key of Object.keys(CASES)) {
    const comparable = (difference && DIFFERENCES[difference][key as keyof typeof CASES]) ?? ((lines: string[]) => lines);
    assert.equal(comparable(untraced[key].lines), comparable(plain[key].lines), `~> ${key}, no tracer: the plain transcript`);
    assert.equal(recorded[key].lines, untraced[key].lines, `~> ${key}, recording: the untraced transcript`);
    assert.equal(recorded[key].spans, traced[key].spans, `~> ${key}: the spans of the tspc build`);
  }
  assert.ok(Object.values(traced).some((r) => r.spans.length > 0), '~> the reference records spans');
}

/**
 * Compiles `files` one by one to CommonJS with esbuild, as tsc does: esbuild writes "use strict" into an ES module
 * converted to CommonJS only under `alwaysStrict`, which sloppy.ts, a script, must not get.
 */
async function esbuildEach(files: readonly string[], outdir: string, plugins: import('esbuild').Plugin[] = []): Promise<void> {
  const esbuild = await import('esbuild');
  for (const alwaysStrict of [true, false]) {
    await esbuild.build({
      entryPoints: files.filter((f) => f.endsWith('sloppy.ts') !== alwaysStrict),
      outdir,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'error',
      tsconfigRaw: { compilerOptions: { alwaysStrict, experimentalDecorators: true } },
      plugins,
    });
  }
}

const traced = (cwd: string, ...args: string[]) => sh(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'index.ts'), ...args], cwd);

const equivalence = suite('equivalence on every pipeline');

equivalence(`traced codegen, compiled to CommonJS by esbuild: the scripts' transcripts and spans (${Object.keys(CASES).length} cases)`, async () => {
  const app = stage('equivalence-codegen-esbuild');
  traced(app, 'codegen', '.', '--out', '.traced');
  const generated = join(app, '.traced', 'src');
  await esbuildEach(readdirSync(generated).filter((f) => f.endsWith('.ts')).map((f) => join(generated, f)), join(app, 'out'));
  assertEquivalent((mode) => run(join(app, 'out'), '.js', mode), 'esbuild');
});

equivalence('traced codegen, compiled by TypeScript 7: the scripts\' transcripts and spans', () => {
  assert.ok(existsSync(TS7), 'TypeScript 7 is installed by npm ci --prefix compat/ts7');
  assert.match(sh(TS7, ['--version'], ROOT), /^Version 7\./);
  const app = stage('equivalence-codegen-ts7');
  traced(app, 'codegen', '.', '--out', '.traced');
  sh(TS7, ['-p', join(app, '.traced')], app);
  assertEquivalent((mode) => run(join(app, 'dist'), '.js', mode), 'alwaysStrict');
});

equivalence('ts-traced/bundler through esbuild\'s plugin API, module by module to CommonJS: the scripts\' transcripts and spans', async () => {
  const app = stage('equivalence-bundler');
  const bundler = createRequire(join(TMP, 'resolve-from.js'))('ts-traced/bundler') as typeof import('../../src/bundler');
  const plugin = bundler.esbuild({ tsconfig: join(app, 'tsconfig.json') });
  await esbuildEach(readdirSync(join(app, 'src')).map((f) => join(app, 'src', f)), join(app, 'out'), [plugin]);
  assertEquivalent((mode) => run(join(app, 'out'), '.js', mode), 'esbuild');
});

equivalence('node --import ts-traced/register on the .ts modules: the scripts\' transcripts and spans', () => {
  const app = stage('equivalence-register');
  assertEquivalent((mode) => run(join(app, 'src'), '.ts', mode, ['--import', 'ts-traced/register']));
});

equivalence('tspc with TypeScript 6 + ts-patch 4, run on Node 22: the scripts\' transcripts and spans', () => {
  assert.ok(existsSync(NODE_22), 'compat/ts6 is installed by npm ci --prefix compat/ts6');
  const app = stage('equivalence-ts6');
  sh(NODE_22, [join(TS6, 'ts-patch', 'bin', 'tspc.js'), '-p', app], app);
  assertEquivalent((mode) => run(join(app, 'dist'), '.js', mode, [], NODE_22), 'alwaysStrict');
});

equivalence.run();
