/**
 * Runs compiled output: modules are compiled to CommonJS into test/transformer/.tmp/<pid>/<label>/ (gitignored) and
 * loaded with `require`. `.tmp/<pid>/node_modules/ts-traced` maps the package to this checkout's source, so emitted
 * `require("ts-traced/runtime")` loads the runtime under test (the same module the test's tracer set-up uses),
 * with the emitted code itself left exactly as the compiler wrote it.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { compileFile, formatDiagnostic, ROOT, type CompileOptions } from './compile';

/**
 * This process's own folder (people and CI may run the same test file at once in this checkout); removed on exit.
 */
export const TMP = join(ROOT, 'test', 'transformer', '.tmp', String(process.pid));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

/** Folders of test processes that died without cleaning up (killed on a timeout). */
function removeStale(): void {
  const parent = dirname(TMP);
  for (const entry of existsSync(parent) ? readdirSync(parent) : []) {
    if (/^\d+$/.test(entry) && !isAlive(Number(entry))) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let shimWritten = false;

function writeRuntimeShim(): void {
  if (shimWritten) return;
  shimWritten = true;
  removeStale();
  // A package scope of its own: inside this repository's, `ts-traced/runtime` would self-resolve to dist/.
  mkdirSync(TMP, { recursive: true });
  writeFileSync(join(TMP, 'package.json'), JSON.stringify({ name: 'ts-traced-test-output', private: true, type: 'commonjs' }, null, 2));
  const dir = join(TMP, 'node_modules', 'ts-traced');
  mkdirSync(dir, { recursive: true });
  const exports = { '.': './index.js', './runtime': './runtime.js', './package.json': './package.json' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ts-traced', private: true, exports }, null, 2));
  writeFileSync(join(dir, 'index.js'), `module.exports = require(${JSON.stringify(join(ROOT, 'src/index.ts'))});\n`);
  writeFileSync(join(dir, 'runtime.js'), `module.exports = require(${JSON.stringify(join(ROOT, 'src/runtime/index.ts'))});\n`);
}

export interface Module {
  /** Source file to compile (absolute). */
  readonly fileName: string;
  /** Plugin options, or `null` for a plain compile. */
  readonly pluginOptions: CompileOptions['pluginOptions'];
  /** Over the build's compiler options. */
  readonly compilerOptions?: Record<string, unknown>;
}

/**
 * Compiles `modules` (CommonJS, with source maps) into a fresh `.tmp/<pid>/<label>/` and returns that folder.
 * Plugin diagnostics fail the build: behaviour is only compared for code that compiled cleanly.
 */
export function build(label: string, modules: readonly Module[], compilerOptions: Record<string, unknown> = {}): string {
  writeRuntimeShim();
  const dir = join(TMP, label);
  forget(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const m of modules) {
    const out = compileFile({
      fileName: m.fileName,
      pluginOptions: m.pluginOptions,
      // Absolute sources in the map: stack traces name the original file, not one beside the output.
      compilerOptions: { ...compilerOptions, ...m.compilerOptions, module: 'CommonJS', sourceMap: true, sourceRoot: dirname(m.fileName) },
    });
    if (out.diagnostics.length) {
      throw new Error(`${label}: ${out.diagnostics.map((d) => formatDiagnostic(d, ROOT)).join('\n')}`);
    }
    const name = basename(m.fileName).replace(/\.[cm]?tsx?$/, '');
    writeFileSync(join(dir, `${name}.js`), out.js);
    if (out.map) writeFileSync(join(dir, `${name}.js.map`), out.map);
  }
  return dir;
}

/** Drops the modules of `dir` from the require cache, so the next load runs them afresh. */
function forget(dir: string): void {
  for (const key of Object.keys(require.cache)) if (key.startsWith(`${dir}/`)) delete require.cache[key];
}

/** A fresh instance of `<dir>/<name>.js` and of the modules it loads from `dir` (module state starts over). */
export function loadFresh<T>(dir: string, name: string): T {
  forget(dir);
  return require(join(dir, `${name}.js`)) as T;
}
