/**
 * `ts-traced/transformer`. The default export is the ts-patch entry:
 *
 *   { "compilerOptions": { "plugins": [{ "transform": "ts-traced/transformer" }] } }
 *
 * `createTransformer(ts, options)` makes the same transformer for hosts that take `getCustomTransformers`
 * (ts-loader, ts-jest, bundler plugins) and for `ts.transpileModule`, where there is no Program.
 * Both work with the host's TypeScript, never one of their own.
 */
import { dirname } from 'node:path';
import type * as ts from 'typescript';
import { loadConfig } from './config/load';
import type { TracedPluginOptions } from './config/types';
import type { ProgramContext } from './context';
import { rewriteFile } from './rewrite/file';
import { selectSites } from './select';

type TS = typeof import('typescript');

export type { TracedPluginOptions } from './config/types';

/** What ts-patch hands a "program" transformer (its default kind) besides the Program and the options. */
export interface PluginExtras {
  readonly ts: TS;
  readonly addDiagnostic: (diagnostic: ts.Diagnostic) => void;
}

export interface TransformerOptions extends TracedPluginOptions {
  /** The Program, when the host has one (ts-loader passes it to `getCustomTransformers`). */
  readonly program?: ts.Program;
  /** The tsconfig.json these options come from: traced.config.json is looked for beside it, faults point into it. */
  readonly tsconfig?: string;
  /** Base of `code.filepath` and of a relative `config`: default the tsconfig's folder, else the cwd. */
  readonly projectRoot?: string;
  /** Receives every diagnostic. Without it, a file with problems throws one Error that lists them. */
  readonly onDiagnostic?: (diagnostic: ts.Diagnostic) => void;
}

/** The ts-patch entry: `(program, pluginOptions, extras) => (context) => (sourceFile) => sourceFile`. */
export default function tracedTransformer(
  program: ts.Program,
  pluginOptions: TracedPluginOptions | undefined,
  extras: PluginExtras,
): ts.TransformerFactory<ts.SourceFile> {
  if (typeof extras?.ts?.createSourceFile !== 'function' || typeof extras.addDiagnostic !== 'function') {
    throw new Error(
      'ts-traced/transformer: ts-patch did not pass its "program" extras. ' +
        'Remove "type" from the plugin entry in tsconfig.json.',
    );
  }
  const tsconfigPath = program.getCompilerOptions().configFilePath as string | undefined;
  const projectRoot = tsconfigPath ? dirname(tsconfigPath) : program.getCurrentDirectory();
  return factoryFor(extras.ts, pluginOptions, projectRoot, tsconfigPath, extras.addDiagnostic);
}

export function createTransformer(ts: TS, options: TransformerOptions = {}): ts.TransformerFactory<ts.SourceFile> {
  const { program, tsconfig, projectRoot: root, onDiagnostic, ...pluginOptions } = options;
  const tsconfigPath = tsconfig ?? (program?.getCompilerOptions().configFilePath as string | undefined);
  const projectRoot = root ?? (tsconfigPath ? dirname(tsconfigPath) : process.cwd());
  if (onDiagnostic) return factoryFor(ts, pluginOptions, projectRoot, tsconfigPath, onDiagnostic);
  const found: ts.Diagnostic[] = [];
  const throwFound = () => {
    if (found.some((d) => d.category === ts.DiagnosticCategory.Error)) throw new Error(formatAll(ts, found.splice(0)));
    found.length = 0;
  };
  const factory = factoryFor(ts, pluginOptions, projectRoot, tsconfigPath, (d) => found.push(d));
  throwFound();
  return (context) => {
    const transform = factory(context);
    return (sourceFile) => {
      const result = transform(sourceFile);
      throwFound();
      return result;
    };
  };
}

/** Loads the config once; a config with errors reports them and leaves every file untouched. */
function factoryFor(
  ts: TS,
  pluginOptions: TracedPluginOptions | undefined,
  projectRoot: string,
  tsconfigPath: string | undefined,
  report: (diagnostic: ts.Diagnostic) => void,
): ts.TransformerFactory<ts.SourceFile> {
  const loaded = loadConfig(ts, pluginOptions, { projectRoot, tsconfigPath });
  loaded.diagnostics.forEach(report);
  const faulty = loaded.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
  if (faulty) return () => (sourceFile) => sourceFile;
  const p: ProgramContext = { ts, config: loaded.config, projectRoot, report };
  return (context) => (sourceFile) => {
    const original = ts.getParseTreeNode(sourceFile, ts.isSourceFile) ?? sourceFile;
    if (original.isDeclarationFile) return sourceFile;
    const selection = selectSites(ts, original, p.config, { projectRoot });
    selection.diagnostics.forEach(report);
    return rewriteFile(p, context, sourceFile, original, selection);
  };
}

function formatAll(ts: TS, diagnostics: readonly ts.Diagnostic[]): string {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  };
  const count = `${diagnostics.length} problem${diagnostics.length > 1 ? 's' : ''}`;
  return `ts-traced: ${count}:\n${ts.formatDiagnostics(diagnostics, host)}`;
}
