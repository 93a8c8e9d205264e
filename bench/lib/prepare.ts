/**
 * What every benchmark runs against: the package as users install it (src built by tsc, loaded through its
 * `exports` map as `ts-traced/...`) and fixtures compiled by the real transformer, not hand copies of its emit.
 *
 * bench/.out/pkg             package.json + dist/ built from src (rebuilt when src changes); node_modules → the repo's
 * bench/.out/node_modules/ts-traced → ../pkg, so compiled fixtures in bench/.out resolve `ts-traced/runtime`
 * bench/.out/<name>.traced.js / <name>.js   a fixture compiled with / without the plugin (CommonJS, ES2022)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { createTransformer } from '../../src/transformer/index';

export const BENCH_DIR = dirname(__dirname);
export const ROOT = dirname(BENCH_DIR);
export const OUT_DIR = join(BENCH_DIR, '.out');
export const PKG_DIR = join(OUT_DIR, 'pkg');

function sourceStamp(): string {
  const hash = createHash('sha1');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(`${relative(ROOT, path)}:${readFileSync(path, 'utf8')}\n`);
    }
  };
  walk(join(ROOT, 'src'));
  hash.update(readFileSync(join(ROOT, 'package.json')));
  return hash.digest('hex');
}

function link(target: string, path: string): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(relative(dirname(path), target), path, 'dir');
}

/**
 * Builds the package into bench/.out/pkg unless that build is of the current src. Under `npm run bench` the runner
 * builds once and sets TRACED_BENCH_BUILT, so every benchmark of one run measures the same build even while src
 * changes under it.
 */
export function preparePackage(log: (line: string) => void = () => {}): void {
  const stampFile = join(PKG_DIR, '.stamp');
  const built = process.env.TRACED_BENCH_BUILT === '1' && existsSync(stampFile);
  const stamp = built ? '' : sourceStamp();
  if (!built && (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp)) {
    log('building ts-traced from src into bench/.out/pkg ...');
    rmSync(join(PKG_DIR, 'dist'), { recursive: true, force: true });
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const args = ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(PKG_DIR, 'dist')];
    try {
      execFileSync(process.execPath, [tsc, ...args, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'], {
        stdio: 'pipe',
      });
    } catch (error) {
      // tsc emits despite type errors (someone's work in progress); the benchmark can still run on what it emitted.
      log(`tsc reported errors while building (continuing with its emit):\n${String((error as { stdout?: Buffer }).stdout ?? error).slice(0, 2000)}`);
    }
    writeFileSync(join(PKG_DIR, 'package.json'), readFileSync(join(ROOT, 'package.json')));
    writeFileSync(join(PKG_DIR, 'traced.schema.json'), readFileSync(join(ROOT, 'traced.schema.json')));
    writeFileSync(stampFile, stamp);
  }
  link(join(ROOT, 'node_modules'), join(PKG_DIR, 'node_modules'));
  link(PKG_DIR, join(OUT_DIR, 'node_modules', 'ts-traced'));
}

/**
 * Compiles bench/fixtures/<name>.ts to bench/.out/<name>.traced.js (with the plugin, through `createTransformer` and
 * `ts.transpileModule`, as a bundler plugin would) and bench/.out/<name>.js (without it, so fixtures import each
 * other's plain builds). Returns both paths.
 */
export function compileFixture(name: string): { traced: string; plain: string } {
  const fileName = join(BENCH_DIR, 'fixtures', `${name}.ts`);
  const source = readFileSync(fileName, 'utf8');
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
  };
  const out = { traced: join(OUT_DIR, `${name}.traced.js`), plain: join(OUT_DIR, `${name}.js`) };
  mkdirSync(OUT_DIR, { recursive: true });
  const traced = ts.transpileModule(source, {
    fileName,
    compilerOptions,
    transformers: { before: [createTransformer(ts, { projectRoot: join(BENCH_DIR, 'fixtures') })] },
  });
  writeFileSync(out.traced, traced.outputText);
  writeFileSync(out.plain, ts.transpileModule(source, { fileName, compilerOptions }).outputText);
  return out;
}

