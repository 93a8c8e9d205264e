/**
 * The real tspc: ts-patch 3's `tspc` on a small project whose tsconfig says
 * `"plugins": [{ "transform": "ts-traced/transformer" }]`. The package is built from this checkout into
 * test/transformer/.tmp/<pid>/tspc/pkg (its own build, never the shared dist/, so it is never stale) and linked into
 * each project's node_modules, so ts-patch resolves the plugin through the package's `exports` as users get it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import * as assert from 'uvu/assert';
import { ROOT } from './compile';
import { TMP } from './exec';

const BASE = join(TMP, 'tspc');
const PKG = join(BASE, 'pkg');
export const TSPC = join(ROOT, 'node_modules', 'ts-patch', 'bin', 'tspc.js');
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Builds the package (public API, transformer, runtime, with declarations) into `.tmp/<pid>/tspc/pkg`. */
export function buildPackage(): void {
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
export function tspcProject(name: string, files: Record<string, string>, compilerOptions: Record<string, unknown> = {}): string {
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

/** Runs a Node script (tspc, tsc, a built program) in `cwd`: its exit code and stdout + stderr. */
export function runNode(bin: string, args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
