/**
 * The package as npm ships it. A copy of the repository is packed with `npm pack` (its `prepack` builds dist/
 * from scratch), the tarball is installed into a fresh project under the system's temp folder (outside the
 * repository, so nothing resolves from the repository's node_modules), and that project uses it as users do:
 * every `exports` subpath through require and import, the types under nodenext, bundler and node10 resolution,
 * one runtime for both module systems, a tspc build with the installed plugin, register, setup and the bin.
 * One project serves every test; it is removed at the end.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/compile';

const FIXTURE = join(__dirname, 'fixtures', 'package');
const WORK = mkdtempSync(join(tmpdir(), 'ts-traced-package-'));
const SOURCE = join(WORK, 'source');
const CONSUMER = join(WORK, 'consumer');
const INSTALLED = join(CONSUMER, 'node_modules', 'ts-traced');

interface Manifest {
  readonly version: string;
  readonly main: string;
  readonly types: string;
  readonly bin: Record<string, string>;
  readonly exports: Record<string, string | { readonly types: string; readonly default: string }>;
  readonly typesVersions: { readonly '*': Record<string, readonly string[]> };
  readonly devDependencies: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** What the consumer installs beside the tarball, at the versions this repository tests with. */
const CONSUMER_DEPENDENCIES = [
  'typescript',
  'ts-patch',
  '@types/node',
  // The optional peers of ts-traced/otel, and fastify, whose types ts-traced/fastify's declarations use.
  '@opentelemetry/api',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/semantic-conventions',
  '@opentelemetry/shim-opentracing',
  'fastify',
].map((name) => `${name}@${manifest.devDependencies[name]}`);

/** A child process's environment without the `npm_*` variables an enclosing `npm test` sets (a nested npm reads them). */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000, env: childEnv(env) });
}

/** Runs a command that must succeed; returns its stdout. */
function must(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = run(command, args, cwd, env);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

const node = (args: readonly string[], cwd = CONSUMER, env: NodeJS.ProcessEnv = {}) => run(process.execPath, args, cwd, env);
const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;

interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
  readonly size: number;
  readonly unpackedSize: number;
}

let packed: Packed | undefined;

/** `npm pack` of a copy of the repository (its working tree, without node_modules), with a stale file in dist/. */
function pack(): Packed {
  if (packed) return packed;
  const skip = new Set(['node_modules', '.git', '.tmp']);
  cpSync(ROOT, SOURCE, { recursive: true, filter: (from) => !skip.has(basename(from)) });
  symlinkSync(join(ROOT, 'node_modules'), join(SOURCE, 'node_modules'), 'dir');
  mkdirSync(join(SOURCE, 'dist'), { recursive: true });
  writeFileSync(join(SOURCE, 'dist', 'stale-from-an-old-build.js'), '');
  const stdout = must('npm', ['pack', '--json', '--pack-destination', WORK], SOURCE);
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  packed = { tarball: join(WORK, report.filename), files: report.files.map((f) => f.path).sort(), size: report.size, unpackedSize: report.unpackedSize };
  return packed;
}

let installed = false;

/** The consumer project: the fixture's files, and the tarball installed with npm (from the cache where it can). */
function consumer(): string {
  if (installed) return CONSUMER;
  const { tarball } = pack();
  cpSync(FIXTURE, CONSUMER, { recursive: true });
  for (const copy of ['entries.mts', 'entries.cts']) copyFileSync(join(CONSUMER, 'types', 'entries.ts'), join(CONSUMER, 'types', copy));
  writeFileSync(join(CONSUMER, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  must('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...CONSUMER_DEPENDENCIES], CONSUMER);
  installed = true;
  return CONSUMER;
}

let built = false;

/** The consumer's app, built by tspc with `{ "transform": "ts-traced/transformer" }`. */
function builtApp(): string {
  const app = join(consumer(), 'app');
  if (!built) must(process.execPath, [join(CONSUMER, 'node_modules', 'ts-patch', 'bin', 'tspc.js'), '-p', app], app);
  built = true;
  return app;
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** A console tree as ts-traced/dev prints it: the trace line, the method with its argument, the function under it. */
function assertTree(stderr: string, orderId: string): void {
  assert.match(stderr, /^trace [0-9a-f]{32}\s+2 spans$/m, `~> one trace of two spans:\n${stderr}`);
  assert.match(stderr, new RegExp(`^Orders\\.place\\s+\\S+ \\S+\\s+arg\\.orderId=${orderId}$`, 'm'), '~> the @traced method, with its argument');
  assert.match(stderr, /^└─ priceOf\s+\S+ \S+$/m, '~> the /** @traced */ function under it');
}

const packaging = suite('npm package');

packaging.after(() => rmSync(WORK, { recursive: true, force: true }));

packaging('npm pack ships dist, src, traced.schema.json, README.md and package.json; nothing of tests, bench, playground or compat', () => {
  const { files, size, unpackedSize } = pack();
  console.log(`  tarball: ${files.length} files, ${(size / 1024).toFixed(0)} kB packed, ${(unpackedSize / 1024).toFixed(0)} kB unpacked`);
  const allowed = [/^package\.json$/, /^README\.md$/, /^LICENSE(\.md)?$/, /^traced\.schema\.json$/, /^dist\/.+\.(js|d\.ts)(\.map)?$/, /^src\/.+\.ts$/];
  assert.equal(files.filter((f) => !allowed.some((p) => p.test(f))), [], '~> only these kinds of file');
  assert.equal(files.filter((f) => /(^|\/)(test|tests|bench|playground|compat|fixtures|\.tmp|node_modules)\//.test(f) || /\.test\.ts$/.test(f)), [], '~> no tests, bench, playground, compat or fixtures');
  for (const required of ['package.json', 'README.md', 'traced.schema.json', 'dist/index.js', 'dist/index.d.ts', 'src/index.ts']) assert.ok(files.includes(required), `~> ships ${required}`);
});

packaging('the packed build is fresh and complete: exports, typesVersions and bin targets present, every dist file from a source', () => {
  const { files } = pack();
  const shipped = new Set(files);
  assert.not.ok(shipped.has('dist/stale-from-an-old-build.js'), '~> prepack starts from an empty dist/');
  const targets = Object.values(manifest.exports).flatMap((t) => (typeof t === 'string' ? [t] : [t.types, t.default]));
  const typesVersions = Object.values(manifest.typesVersions['*']).flat();
  for (const target of [...targets, ...typesVersions, ...Object.values(manifest.bin), manifest.main, manifest.types]) {
    assert.ok(shipped.has(target.replace(/^\.\//, '')), `~> ${target} is in the package`);
  }
  for (const [subpath, [target]] of Object.entries(manifest.typesVersions['*'])) {
    const entry = manifest.exports[`./${subpath}`];
    assert.is(typeof entry === 'object' ? entry.types : undefined, target, `~> typesVersions "${subpath}" names the declarations of exports "./${subpath}"`);
  }
  const typed = Object.entries(manifest.exports).filter(([subpath, t]) => subpath !== '.' && typeof t === 'object');
  assert.equal(typed.map(([subpath]) => subpath.slice(2)).sort(), Object.keys(manifest.typesVersions['*']).sort(), '~> typesVersions covers every typed subpath');
  const orphans = files.filter((f) => f.startsWith('dist/') && !shipped.has(f.replace(/^dist\//, 'src/').replace(/\.(js|d\.ts)(\.map)?$/, '.ts')));
  assert.equal(orphans, [], '~> every dist file is built from a shipped source');
});

packaging('installed: every source map and declaration map points at files inside the package', () => {
  consumer();
  const maps = filesUnder(INSTALLED).filter((f) => f.endsWith('.map'));
  assert.ok(maps.length > 100, `~> the maps are installed (${maps.length})`);
  const dangling = maps.flatMap((map) => {
    const { sources, sourceRoot = '' } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourceRoot?: string };
    return sources.map((s) => resolve(dirname(map), sourceRoot, s)).filter((s) => !s.startsWith(INSTALLED + sep) || !existsSync(s));
  });
  assert.equal(dangling, [], '~> no map points outside the package or at a missing file');
});

packaging('installed: every exports subpath loads through require and through import, from the same file, with the same names', () => {
  consumer();
  type Loaded = Record<string, { file?: string; names?: string[]; json?: unknown; error?: string }>;
  const fromRequire = node(['checks/load.cjs'], CONSUMER, { TRACED_EXPORTER: 'none' });
  const fromImport = node(['checks/load.mjs'], CONSUMER, { TRACED_EXPORTER: 'none' });
  assert.is(fromRequire.status, 0, fromRequire.stderr);
  assert.is(fromImport.status, 0, fromImport.stderr);
  const cjs = lastJson<Loaded>(fromRequire.stdout);
  const esm = lastJson<Loaded>(fromImport.stdout);
  assert.equal(Object.keys(cjs), Object.keys(manifest.exports), '~> every subpath was tried');
  for (const subpath of Object.keys(manifest.exports)) {
    const [c, e] = [cjs[subpath], esm[subpath]];
    assert.is(c.error, undefined, `~> require of ${subpath}`);
    assert.is(e.error, undefined, `~> import of ${subpath}`);
    assert.ok(c.file!.startsWith(INSTALLED + sep), `~> ${subpath} resolves into the installed package: ${c.file}`);
    assert.is(e.file, c.file, `~> ${subpath}: import and require load the same file (no dual package)`);
    if (c.json !== undefined) assert.equal(e.json, c.json, `~> ${subpath}: the same JSON`);
    else {
      const missing = c.names!.filter((n) => n !== '__esModule' && !e.names!.includes(n));
      assert.equal(missing, [], `~> ${subpath}: every CommonJS export is a named ES export`);
    }
  }
});

packaging('installed: static named imports link from an ES module (import { traced, setTracer } from "ts-traced" ...)', () => {
  consumer();
  const result = node(['checks/named-imports.mjs']);
  assert.is(result.status, 0, result.stderr);
  const imported = lastJson<string[]>(result.stdout);
  assert.is(imported.length, 18);
  assert.equal(imported.filter((i) => i.endsWith(':undefined')), [], '~> each name has a value');
});

packaging('installed: loading ts-traced and ts-traced/runtime pulls in opentracing only (no typescript, OpenTelemetry or unplugin)', () => {
  consumer();
  const result = node(['checks/dependencies.cjs']);
  assert.is(result.status, 0, result.stderr);
  assert.equal(lastJson<string[]>(result.stdout), ['opentracing', 'ts-traced']);
});

packaging('installed: the types of every entry resolve under module nodenext (ESM and CJS files), moduleResolution bundler and node10', () => {
  const tsc = join(consumer(), 'node_modules', 'typescript', 'bin', 'tsc');
  for (const mode of ['nodenext', 'bundler', 'node10']) {
    const result = node([tsc, '-p', `types/tsconfig.${mode}.json`]);
    assert.is(result.status, 0, `~> ${mode}:\n${result.stdout}${result.stderr}`);
  }
});

packaging('installed: with skipLibCheck off, ts-traced\'s own declarations have no error', () => {
  const tsc = join(consumer(), 'node_modules', 'typescript', 'bin', 'tsc');
  const result = node([tsc, '-p', 'types/tsconfig.strict.json']);
  const errors = `${result.stdout}${result.stderr}`.split('\n').filter((line) => /error TS\d+:/.test(line));
  // Other packages' declarations are theirs (unplugin's import the types of every bundler it supports).
  const ours = errors.filter((line) => line.startsWith('node_modules/ts-traced/') || !line.startsWith('node_modules/'));
  assert.equal(ours, [], '~> none in ts-traced, in the code using it, or in the project');
  assert.ok(result.status === 0 || errors.length > 0, `~> tsc ran:\n${result.stdout}${result.stderr}`);
});

packaging('installed: tspc with "ts-traced/transformer" builds the app; run with ts-traced/dev\'s console tracer it prints the tree', () => {
  const app = builtApp();
  const emitted = readFileSync(join(app, 'dist', 'orders.js'), 'utf8');
  assert.match(emitted, /import \* as __traced from "ts-traced\/runtime";/, '~> the runtime import');
  assert.is(emitted.match(/__traced\.v1\.enter\(/g)?.length, 2, '~> both functions instrumented');
  assert.not.match(emitted, /@traced\(/, '~> the decorator is gone from the emit');
  assert.match(readFileSync(join(app, 'dist', 'orders.d.ts'), 'utf8'), /place\(orderId: string, cents: readonly number\[\]\): Promise<string>;/, '~> declarations as tsc writes them');
  const result = node(['dist/main.js'], app);
  assert.is(result.status, 0, result.stderr);
  assert.is(result.stdout, 'A-1 costs 350\n');
  assertTree(result.stderr, 'A-1');
});

packaging('installed: one runtime per process: a tracer set through require is the one import, the runtime state and tspc-built ESM code use', () => {
  builtApp();
  const result = node(['checks/one-runtime.mjs']);
  assert.is(result.status, 0, result.stderr);
  const seen = lastJson<{
    result: string;
    sameExports: boolean;
    importSeesTracer: boolean;
    stateHoldsTracer: boolean;
    sameRuntime: boolean;
    spans: { name: string; spanId: string; parentId: string | null }[];
  }>(result.stdout);
  assert.is(seen.result, 'B-2 costs 3');
  assert.ok(seen.sameExports, '~> import("ts-traced") is the module require loaded');
  assert.ok(seen.importSeesTracer, '~> getTracer() through import returns the tracer set through require');
  assert.ok(seen.stateHoldsTracer, '~> the process-wide runtime state holds it');
  assert.ok(seen.sameRuntime, '~> ts-traced/runtime is one module for both');
  assert.equal(seen.spans.map((s) => s.name), ['priceOf', 'Orders.place'], '~> the compiled code recorded to that tracer');
  assert.is(seen.spans[0].parentId, seen.spans[1].spanId, '~> nested');
});

packaging('installed: node --import ts-traced/register runs the TypeScript app directly and traces it', () => {
  const app = join(consumer(), 'app');
  const result = node(['--import', 'ts-traced/register', 'src/main.ts'], app);
  assert.is(result.status, 0, result.stderr);
  assert.is(result.stdout, 'A-1 costs 350\n');
  assertTree(result.stderr, 'A-1');
});

packaging('installed: --import ts-traced/setup and -r ts-traced/setup with TRACED_EXPORTER=console trace a build that sets no tracer', () => {
  builtApp();
  for (const flag of ['--import', '-r']) {
    const result = node([flag, 'ts-traced/setup', 'checks/setup-run.mjs'], CONSUMER, { TRACED_EXPORTER: 'console' });
    assert.is(result.status, 0, `~> ${flag}: ${result.stderr}`);
    assert.is(result.stdout, 'C-3 costs 5\n');
    assertTree(result.stderr, 'C-3');
  }
});

packaging('installed: the traced bin prints the version and inspects the app', () => {
  const bin = join(consumer(), 'node_modules', '.bin', 'traced');
  assert.is(must(bin, ['--version'], CONSUMER).trim(), manifest.version);
  const report = JSON.parse(must(bin, ['inspect', 'app', '--json'], CONSUMER)) as { files: { file: string; traced: { name: string }[] }[] };
  const traced = report.files.flatMap((f) => f.traced.map((t) => `${f.file} ${t.name}`));
  assert.equal(traced, ['src/orders.ts priceOf', 'src/orders.ts Orders.place']);
});

packaging.run();
