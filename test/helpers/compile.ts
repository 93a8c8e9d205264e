/**
 * Compiles a source with the plugin the two ways hosts run it: in a Program (what tspc does: the default
 * export with ts-patch's extras) and with `ts.transpileModule` (no Program: `createTransformer`). Also compiles
 * without the plugin, as plain tsc would, for behaviour comparisons. Always the host `typescript`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import tracedTransformer, { createTransformer } from '../../src/transformer/index';
import type { TracedPluginOptions } from '../../src/transformer/config/types';

export const ROOT = resolve(__dirname, '..', '..');

export interface CompileOptions {
  /** Absolute path of the source; its folder is the project root (traced.config.json is looked up there). */
  readonly fileName: string;
  /** As in tsconfig.json (`"module": "commonjs"`), over the defaults: ES2022, ESNext, strict. */
  readonly compilerOptions?: Record<string, unknown>;
  /** Plugin options as in the tsconfig entry; `null` compiles without the plugin. */
  readonly pluginOptions?: TracedPluginOptions | null;
}

export interface Compiled {
  readonly js: string;
  /** The source map, when `sourceMap` is on. */
  readonly map?: string;
  /** Diagnostics of the plugin (config, selection, rewrite). */
  readonly diagnostics: readonly ts.Diagnostic[];
  /** TypeScript's own errors for the source (Program mode only). */
  readonly typeErrors: readonly ts.Diagnostic[];
}

const DEFAULTS = { target: 'ES2022', module: 'ESNext', strict: true, skipLibCheck: true, types: [] };

/** Compiler options from tsconfig-style JSON, with a module resolution that fits the module kind. */
export function compilerOptionsOf(json: Record<string, unknown> = {}, fileName = 'input.ts'): ts.CompilerOptions {
  const merged: Record<string, unknown> = { ...DEFAULTS, ...json };
  const { options, errors } = ts.convertCompilerOptionsFromJson(merged, dirname(fileName));
  if (errors.length) throw new Error(ts.flattenDiagnosticMessageText(errors[0].messageText, '\n'));
  if (options.moduleResolution === undefined) {
    const m = options.module!;
    options.moduleResolution =
      m === ts.ModuleKind.NodeNext
        ? ts.ModuleResolutionKind.NodeNext
        : m >= ts.ModuleKind.Node16 && m < ts.ModuleKind.NodeNext
          ? ts.ModuleResolutionKind.Node16
          : m === ts.ModuleKind.CommonJS
            ? ts.ModuleResolutionKind.Node10
            : ts.ModuleResolutionKind.Bundler;
  }
  // `ts-traced` resolves to this repository's source, so fixtures type-check against the real decorator.
  options.paths = { 'ts-traced': [join(ROOT, 'src/index.ts')], ...options.paths };
  return options;
}

/** Files read from disk (lib .d.ts, this repo's src) parse once per process. */
const diskCache = new Map<string, ts.SourceFile>();

function createHost(options: ts.CompilerOptions, fileName: string, source: string): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    if (resolve(name) === resolve(fileName)) return ts.createSourceFile(name, source, languageVersion, true);
    const key = `${JSON.stringify(languageVersion)}:${name}`;
    let file = diskCache.get(key);
    if (!file) {
      file = getSourceFile(name, languageVersion, onError, shouldCreate);
      if (file) diskCache.set(key, file);
    }
    return file;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === resolve(fileName) || fileExists(name);
  host.readFile = (name) => (resolve(name) === resolve(fileName) ? source : ts.sys.readFile(name));
  return host;
}

/** The (virtual) tsconfig.json of a compiled file: beside it, so the file's folder is the project root. */
const tsconfigOf = (fileName: string) => join(dirname(fileName), 'tsconfig.json');

/** Program mode, as tspc runs the plugin: the default export, given ts-patch's extras. */
export function compileProgram(source: string, o: CompileOptions): Compiled {
  const options: ts.CompilerOptions = { ...compilerOptionsOf(o.compilerOptions, o.fileName), noEmitOnError: false };
  // tsc sets configFilePath from the tsconfig it read: the project root is its folder.
  options.configFilePath = tsconfigOf(o.fileName);
  const program = ts.createProgram([o.fileName], options, createHost(options, o.fileName, source));
  const file = program.getSourceFile(o.fileName)!;
  const diagnostics: ts.Diagnostic[] = [];
  const before =
    o.pluginOptions === null ? [] : [tracedTransformer(program, o.pluginOptions, { ts, addDiagnostic: (d) => diagnostics.push(d) })];
  const out: Record<string, string> = {};
  program.emit(file, (name, text) => (out[name.endsWith('.map') ? 'map' : 'js'] = text), undefined, false, { before });
  const typeErrors = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  return { js: out.js, map: out.map, diagnostics, typeErrors };
}

/** transpileModule mode: no Program, `createTransformer` told the same tsconfig path. */
export function compileTranspile(source: string, o: CompileOptions): Compiled {
  const diagnostics: ts.Diagnostic[] = [];
  const before =
    o.pluginOptions === null
      ? []
      : [createTransformer(ts, { ...o.pluginOptions, tsconfig: tsconfigOf(o.fileName), onDiagnostic: (d) => diagnostics.push(d) })];
  const result = ts.transpileModule(source, {
    fileName: o.fileName,
    compilerOptions: compilerOptionsOf(o.compilerOptions, o.fileName),
    transformers: { before },
  });
  return { js: result.outputText, map: result.sourceMapText, diagnostics, typeErrors: [] };
}

/** Compiles the file at `o.fileName` as it is on disk. */
export function compileFile(o: CompileOptions, mode: 'program' | 'transpile' = 'program'): Compiled {
  const source = readFileSync(o.fileName, 'utf8');
  return mode === 'program' ? compileProgram(source, o) : compileTranspile(source, o);
}

/** `TT2001 input.ts:4:3 message` (the message without its code prefix); positions are 1-based. */
export function formatDiagnostic(d: ts.Diagnostic, root: string): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  const [, code = `TS${d.code}`, message = text] = /^(TT\d{4}): (.*)$/s.exec(text) ?? [];
  if (!d.file || d.start === undefined) return `${code} ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const where = d.file.fileName.startsWith(root) ? d.file.fileName.slice(root.length + 1) : d.file.fileName;
  return `${code} ${where}:${line + 1}:${character + 1} ${message}`;
}
