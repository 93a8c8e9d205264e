/**
 * What the pipelines without a TypeScript transformer read from a project: the tsconfig's compiler options,
 * its files, and the ts-traced plugin entry's options (the same options tspc would hand the transformer), and
 * how Node will run each file (ES module or CommonJS).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as ts from 'typescript';
import type { TracedPluginOptions } from '../config/types';
import type { ModuleFormat } from './file';

type TS = typeof import('typescript');

export interface Project {
  readonly tsconfigPath: string;
  /** The tsconfig's folder: `code.filepath` is relative to it, traced.config.json is looked for in it. */
  readonly projectRoot: string;
  readonly options: ts.CompilerOptions;
  /** Every source file of the project (absolute), as tsc would compile them. */
  readonly fileNames: readonly string[];
  /** The `{ "transform": "ts-traced/transformer", ... }` entry of `compilerOptions.plugins`, if any. */
  readonly pluginOptions?: TracedPluginOptions;
  /** Faults of the tsconfig itself. */
  readonly errors: readonly ts.Diagnostic[];
}

/** Reads `tsconfig` (a file, or a folder holding tsconfig.json), `extends` and all. */
export function readProject(ts: TS, tsconfig: string): Project {
  const given = resolve(tsconfig);
  const tsconfigPath = existsSync(join(given, 'tsconfig.json')) ? join(given, 'tsconfig.json') : given;
  const errors: ts.Diagnostic[] = [];
  const host: ts.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => errors.push(d) };
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfigPath, {}, host);
  const plugins = (parsed?.options.plugins ?? []) as readonly { transform?: unknown }[];
  const entry = plugins.find((p) => typeof p.transform === 'string' && p.transform.includes('ts-traced'));
  return {
    tsconfigPath,
    projectRoot: dirname(tsconfigPath),
    options: parsed?.options ?? {},
    fileNames: parsed?.fileNames ?? [],
    pluginOptions: entry as TracedPluginOptions | undefined,
    errors: [...errors, ...(parsed?.errors ?? [])],
  };
}

/**
 * How the compiled file runs, as the compiler options say: `module: commonjs` is CommonJS, `moduleDetection:
 * force` makes every file a module; under node16/nodenext the extension and the nearest package.json decide.
 * Undefined where a file without import or export stays a script.
 */
export function moduleFormatOf(ts: TS, fileName: string, options: ts.CompilerOptions): ModuleFormat | undefined {
  const module = options.module;
  if (module === ts.ModuleKind.CommonJS) return 'cjs';
  if (options.moduleDetection === ts.ModuleDetectionKind.Force) return 'esm';
  if (module !== undefined && module >= ts.ModuleKind.Node16 && module <= ts.ModuleKind.NodeNext) {
    // Under these, a file Node runs as an ES module is a module to TypeScript too (moduleDetection: auto).
    return nodeFormatOf(fileName);
  }
  return undefined;
}

/** How Node runs `fileName`: by its extension (.mts/.mjs, .cts/.cjs), else the nearest package.json's `type`. */
export function nodeFormatOf(fileName: string): ModuleFormat {
  if (/\.m[jt]sx?$/.test(fileName)) return 'esm';
  if (/\.c[jt]sx?$/.test(fileName)) return 'cjs';
  return packageTypeOf(dirname(fileName)) === 'module' ? 'esm' : 'cjs';
}

const typeCache = new Map<string, string | undefined>();

function packageTypeOf(dir: string): string | undefined {
  if (typeCache.has(dir)) return typeCache.get(dir);
  let type: string | undefined;
  const path = join(dir, 'package.json');
  if (existsSync(path)) {
    try {
      type = (JSON.parse(readFileSync(path, 'utf8')) as { type?: string }).type ?? 'commonjs';
    } catch {
      type = 'commonjs';
    }
  } else if (dirname(dir) !== dir) type = packageTypeOf(dirname(dir));
  typeCache.set(dir, type);
  return type;
}
