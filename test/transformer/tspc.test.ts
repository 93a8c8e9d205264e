/**
 * The real thing: ts-patch 3's `tspc` compiles a tiny project whose tsconfig says
 * `"plugins": [{ "transform": "ts-traced/transformer" }]`. The package is built from this checkout into
 * test/transformer/.tmp/<pid>/tspc/pkg (its own build, never the shared dist/, so it is never stale) and linked into
 * the project's node_modules, so ts-patch resolves the plugin through the package's `exports` as users get it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/compile';
import { TMP } from '../helpers/exec';

const BASE = join(TMP, 'tspc');
const PKG = join(BASE, 'pkg');
const TSPC = join(ROOT, 'node_modules', 'ts-patch', 'bin', 'tspc.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Builds the package (public API, transformer, runtime, with declarations) into `.tmp/<pid>/tspc/pkg`. */
function buildPackage(): void {
  rmSync(PKG, { recursive: true, force: true });
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => assert.unreachable(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  })!;
  const entries = ['src/index.ts', 'src/transformer/index.ts', 'src/runtime/index.ts'].map((f) => join(ROOT, f));
  const options = { ...parsed.options, outDir: join(PKG, 'dist'), declarationMap: false, sourceMap: false, noEmit: false };
  const emitted = ts.createProgram(entries, options).emit();
  assert.not.ok(emitted.emitSkipped, '~> the package was built');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const { name, version, type, main, types, exports } = pkg;
  writeFileSync(join(PKG, 'package.json'), JSON.stringify({ name, version, type, main, types, exports }, null, 2));
  copyFileSync(join(ROOT, 'traced.schema.json'), join(PKG, 'traced.schema.json'));
}

/** A project folder with the package linked in, the given files, and a tsconfig that loads the plugin. */
function project(name: string, files: Record<string, string>, compilerOptions: Record<string, unknown> = {}): string {
  const dir = join(BASE, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(PKG, join(dir, 'node_modules', 'ts-traced'), 'dir');
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'CommonJS',
      strict: true,
      rootDir: 'src',
      outDir: 'dist',
      sourceMap: true,
      types: ['node'],
      plugins: [{ transform: 'ts-traced/transformer' }],
      ...compilerOptions,
    },
    include: ['src'],
  };
  const all = { 'package.json': '{ "private": true, "type": "commonjs" }\n', 'tsconfig.json': JSON.stringify(tsconfig, null, 2), ...files };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

function run(bin: string, args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const ORDERS = `
import { traced } from 'ts-traced';

export class Orders {
  @traced({ tags: { component: 'orders' } })
  async place(id: string): Promise<string> {
    await null;
    return \`placed \${priceOf(id.length)}\`;
  }
}

/** @traced */
export function priceOf(count: number): number {
  return count * 2;
}

export function notSelected(): number {
  return 0;
}
`;

const MAIN = `
import { MockTracer } from 'opentracing';
import { setTracer } from 'ts-traced';
import { Orders } from './orders';

const tracer = new MockTracer();
setTracer(tracer);
new Orders().place('abc').then((result) => {
  const spans = tracer.report().spans.map((s) => s.operationName());
  console.log(JSON.stringify({ result, spans }));
});
`;

const test = suite('tspc');

test.before(() => {
  buildPackage();
});

test('compiles a project with the plugin: exit code 0, traced output that runs and records spans', () => {
  const dir = project('ok', { 'src/orders.ts': ORDERS, 'src/main.ts': MAIN });
  const compiled = run(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is(compiled.status, 0, `~> tspc succeeded: ${compiled.output}`);
  const js = readFileSync(join(dir, 'dist', 'orders.js'), 'utf8');
  assert.match(js, 'const __traced = require("ts-traced/runtime");');
  assert.match(js, /const \$s = __traced\.v1\.enter\(\$site_\d\);/);
  assert.not.match(js, /function notSelected\(\) \{\s+const \$s/, '~> only selected functions are traced');
  assert.not.match(js, /traced\)\(\{ tags/, '~> the @traced decorator is gone');
  const executed = run(join(dir, 'dist', 'main.js'), [], dir);
  assert.is(executed.status, 0, `~> the output runs: ${executed.output}`);
  assert.equal(JSON.parse(executed.output), { result: 'placed 6', spans: ['Orders.place', 'priceOf'] });
});

test('a bad traced.config.json fails the build with the TT diagnostic at its file and line', () => {
  const dir = project('bad-config', {
    'src/orders.ts': ORDERS,
    'traced.config.json': '{\n  "include": ["src/**"],\n  "inclde": ["x"]\n}\n',
  });
  const compiled = run(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is.not(compiled.status, 0, '~> non-zero exit code');
  assert.match(compiled.output, /traced\.config\.json\(3,3\): error TS91003: TT1003: inclde: unknown key/);
  const js = readFileSync(join(dir, 'dist', 'orders.js'), 'utf8');
  assert.not.match(js, '__traced', '~> files are left untouched');
});

test('a construct that cannot be traced fails the build at its line; the rest is traced', () => {
  const source = `${ORDERS}
/** @traced */
export async function query(): Promise<number> {
  await using connection = { [Symbol.asyncDispose]: async () => {} };
  return connection ? 1 : 0;
}
`;
  const dir = project('untraceable', { 'src/orders.ts': source }, { lib: ['ES2022', 'ESNext.Disposable'] });
  const compiled = run(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is.not(compiled.status, 0, '~> non-zero exit code');
  const errors = compiled.output.trim().split('\n');
  assert.equal(errors.length, 1, `~> one error, ours: ${compiled.output}`);
  const lines = source.split('\n');
  const line = lines.findIndex((l) => l.includes('await using'));
  const at = `src/orders.ts(${line + 1},${lines[line].indexOf('await using') + 1})`;
  assert.ok(errors[0].startsWith(`${at}: error TS93001: TT3001: "await using" in a traced function`), `~> ${errors[0]}`);
  const js = readFileSync(join(dir, 'dist', 'orders.js'), 'utf8');
  assert.match(js, /function priceOf\(count\) \{\s+const \$s/, '~> other functions are traced');
});

test('tspc --noEmit with the plugin reports what tsc --noEmit reports', () => {
  const dir = project('no-emit', {
    'src/orders.ts': ORDERS,
    'src/broken.ts': 'export const n: number = "not a number";\n',
  });
  const patched = run(TSPC, ['-p', dir, '--noEmit', '--pretty', 'false'], dir);
  const plain = run(TSC, ['-p', dir, '--noEmit', '--pretty', 'false'], dir);
  assert.match(plain.output, 'TS2322', '~> the project has its own error');
  assert.is(patched.output, plain.output, '~> the same diagnostics');
  assert.is(patched.status, plain.status, '~> the same exit code');
});

test.run();
