/**
 * What the pipeline tests share: the package as users install it, built fresh from src/, the test app staged as
 * a project of its own, and a runner that reports what a built copy of the app does.
 *
 * - `packageUnderTest()` compiles src/ file by file with esbuild into test/pipelines/.tmp/<test>/node_modules/ts-traced/dist/
 *   (the layout tsc gives dist/), with package.json's own `exports` map; dependencies resolve from the repository's
 *   node_modules, and the types are the declarations `npm run build` wrote to dist/. Apps staged under .tmp/
 *   resolve `ts-traced`, `ts-traced/runtime`, `ts-traced/register` ... to it, as users' apps do.
 * - `stageApp(label, type)` copies test/pipelines/fixtures/app into .tmp/<test>/<label>/ as an ES module or CommonJS package.
 * - `runApp(main, mode, nodeArgs)` runs the app in a child process through the bundled runner.ts.
 * - `stageStackApp(label, type)` adds src/stack.ts, whose traced function throws; `stackFrame(app, main)` runs its build.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT } from '../helpers/compile';

/** One folder per test file: test files run in parallel processes, each with its own package and apps. */
export const TMP = join(__dirname, '.tmp', basename(process.argv[1] ?? 'run').replace(/\.test\.ts$/, ''));
export const APP = join(__dirname, 'fixtures', 'app');
const PACKAGE = join(TMP, 'node_modules', 'ts-traced');
const RUNNER = join(TMP, 'runner.cjs');

interface ExportTarget {
  readonly types?: string;
  readonly default: string;
}

let built = false;

/** Builds the package (once per process) and the runner; returns the package folder. */
export function packageUnderTest(): string {
  if (built) return PACKAGE;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, string | ExportTarget>;
    typesVersions?: unknown;
  };
  rmSync(PACKAGE, { recursive: true, force: true });
  // src/ → dist/ file by file, as tsc lays it out, so paths the code computes from __dirname hold.
  buildSync({
    entryPoints: (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'src', f)),
    outdir: join(PACKAGE, 'dist'),
    outbase: join(ROOT, 'src'),
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string') {
      if (!target.startsWith('./dist/')) cpSync(join(ROOT, target), join(PACKAGE, target));
    } else if (target.types) {
      // Types: the declarations tsc built into dist/ (npm run build), re-exported from the same place as in the package.
      const declarations = join(ROOT, target.types).replace(/\.d\.ts$/, '');
      writeFileSync(join(PACKAGE, target.types), `export * from ${JSON.stringify(declarations)};\n`);
    }
  }
  const { exports, typesVersions } = manifest;
  writeFileSync(join(PACKAGE, 'package.json'), JSON.stringify({ name: 'ts-traced', version: '0.0.0-test', exports, typesVersions }, null, 2));
  writeFileSync(join(TMP, 'package.json'), JSON.stringify({ name: 'ts-traced-pipeline-tests', private: true }));
  buildSync({
    entryPoints: [join(__dirname, 'runner.ts')],
    outfile: RUNNER,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'error',
  });
  built = true;
  return PACKAGE;
}

/** A fresh copy of the app in .tmp/<test>/<label>/, as a package of the given type; returns its folder. */
export function stageApp(label: string, type: 'module' | 'commonjs'): string {
  packageUnderTest();
  const dir = join(TMP, label);
  rmSync(dir, { recursive: true, force: true });
  cpSync(APP, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: label, private: true, type }, null, 2));
  return dir;
}

export interface AppRun {
  readonly lines: readonly string[];
  readonly spans: readonly string[];
}

/** Runs `main` (a built app's entry) in a child process: `plain` with no tracer, `record` with a RecordingTracer. */
export function runApp(main: string, mode: 'plain' | 'record', nodeArgs: readonly string[] = [], node = process.execPath, cwd = dirname(main)): AppRun {
  if (!existsSync(main)) throw new Error(`no built app at ${main}`);
  const result = spawnSync(node, [...nodeArgs, RUNNER, main, mode], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${main} (${mode}) exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as AppRun;
}

export interface References {
  /** The app bundled by esbuild without instrumentation, run with no tracer: the transcript every build must log. */
  readonly plain: AppRun;
  /** The app built by tspc (ts-patch) with the plugin, recording: the spans every pipeline must record. */
  readonly tspc: AppRun;
}

let references: Promise<References> | undefined;

/** The references every pipeline is held to (built once per test process). */
export function referenceRuns(): Promise<References> {
  references ??= (async () => {
    const app = stageApp('reference', 'module');
    await bundle(join(app, 'src', 'main.ts'), join(app, 'plain', 'main.mjs'), 'esm');
    sh(process.execPath, [join(ROOT, 'node_modules', 'ts-patch', 'bin', 'tspc.js'), '-p', app], app);
    const plain = runApp(join(app, 'plain', 'main.mjs'), 'plain');
    const tspc = runApp(join(app, 'dist', 'main.js'), 'record');
    if (JSON.stringify(tspc.lines) !== JSON.stringify(plain.lines)) throw new Error('the tspc build does not log what the plain build logs');
    if (tspc.spans.length < 8) throw new Error(`the tspc build recorded ${tspc.spans.length} spans`);
    return { plain, tspc };
  })();
  return references;
}

/**
 * A traced function that throws, and the first frame of its stack printed. Creating and throwing are one line:
 * Vite's own transform folds `const e = new Error(); throw e;` into one throw.
 */
const STACK = `/** @traced */
export function fail(reason: string): never {
  throw new Error(reason);
}

try {
  fail('boom');
} catch (error) {
  console.log((error as Error).stack!.split('\\n')[1].trim());
}
`;

/** The app staged with src/stack.ts (STACK) beside it: build `src/stack.ts`, then check it with `stackFrame`. */
export function stageStackApp(label: string, type: 'module' | 'commonjs'): string {
  const app = stageApp(label, type);
  writeFileSync(join(app, 'src', 'stack.ts'), STACK);
  return app;
}

/** Runs a build of src/stack.ts with source maps on: the frame it printed, and the source position expected. */
export function stackFrame(app: string, main: string): { printed: string; expected: string } {
  const run = spawnSync(process.execPath, ['--enable-source-maps', main], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${main} exited with ${run.status}:\n${run.stderr}`);
  const column = STACK.split('\n')[2].indexOf('new Error') + 1;
  return { printed: run.stdout.trim(), expected: `at fail (${join(app, 'src', 'stack.ts')}:3:${column})` };
}

/** Runs a command, failing with its output when it exits non-zero. */
export function sh(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** webpack and Rspack `externals`: the package and opentracing stay `require`s, as in an app that has them installed. */
export function externalPackages({ request }: { request?: string }, callback: (error?: Error, result?: string) => void): void {
  if (request && /^(ts-traced|opentracing)(\/|$)/.test(request)) callback(undefined, `commonjs ${request}`);
  else callback();
}

type CompileCallback = (error: Error | null, stats?: { hasErrors(): boolean; toString(preset: 'errors-only'): string }) => void;

/** Runs a compiler with webpack's API (webpack, Rspack): `(done) => webpack(config, done)`; resolves with `output` once built without errors. */
export function compileWith(compile: (done: CompileCallback) => unknown, output: string): Promise<string> {
  return new Promise((done, fail) =>
    compile((error, stats) => {
      if (error || !stats || stats.hasErrors()) return fail(error ?? new Error(stats?.toString('errors-only')));
      done(output);
    }),
  );
}

/** Bundles `entry` with esbuild (dependencies external), as a user's build would. */
export function bundle(entry: string, outfile: string, format: 'esm' | 'cjs', plugins: import('esbuild').Plugin[] = []): Promise<unknown> {
  mkdirSync(dirname(outfile), { recursive: true });
  return import('esbuild').then((esbuild) =>
    esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format, packages: 'external', sourcemap: true, logLevel: 'error', plugins }),
  );
}
