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
import { hostOption, loadConfig } from './config/load';
import type { TracedPluginOptions } from './config/types';
import type { ProgramContext } from './context';
import { checkProgramRules } from './program';
import { rewriteFile } from './rewrite/file';
import { selectSites } from './select';

type TS = typeof import('typescript');

export type { TracedPluginOptions } from './config/types';

/** What ts-patch hands a "program" transformer (its default kind) besides the Program and the options. */
export interface PluginExtras {
  readonly ts: TS;
  readonly addDiagnostic: (diagnostic: ts.Diagnostic) => void;
  /** The TypeScript library running the plugin: `tsc` for the command line (tspc), `typescript` for the API. */
  readonly library?: string;
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
  const report = extras.library === 'tsc' ? printingWarnings(extras, program) : extras.addDiagnostic;
  return factoryFor(extras.ts, pluginOptions, { projectRoot, tsconfigPath, program }, report);
}

/**
 * tsc fails a build on any diagnostic it is handed, a warning too (exit code 2), so under tsc a warning is
 * printed the way tsc prints diagnostics, and only errors go through ts-patch.
 */
function printingWarnings(extras: PluginExtras, program: ts.Program): (diagnostic: ts.Diagnostic) => void {
  const { ts } = extras;
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ts.sys.getCurrentDirectory(),
    getNewLine: () => ts.sys.newLine,
  };
  const pretty = program.getCompilerOptions().pretty ?? ts.sys.writeOutputIsTTY?.() ?? false;
  return (d) => {
    if (d.category !== ts.DiagnosticCategory.Warning) return extras.addDiagnostic(d);
    ts.sys.write(pretty ? ts.formatDiagnosticsWithColorAndContext([d], host) + host.getNewLine() : ts.formatDiagnostic(d, host));
  };
}

export function createTransformer(ts: TS, options: TransformerOptions = {}): ts.TransformerFactory<ts.SourceFile> {
  // The options go to the loader unread, which reports unreadable ones (TT1009): only these keys are read here.
  const program = hostOption(options, 'program') as ts.Program | undefined;
  const tsconfig = hostOption(options, 'tsconfig') as string | undefined;
  const root = hostOption(options, 'projectRoot') as string | undefined;
  const onDiagnostic = hostOption(options, 'onDiagnostic') as TransformerOptions['onDiagnostic'];
  const tsconfigPath = tsconfig ?? (program?.getCompilerOptions().configFilePath as string | undefined);
  const projectRoot = root ?? (tsconfigPath ? dirname(tsconfigPath) : process.cwd());
  const where = { projectRoot, tsconfigPath, program, callerKeys: ['program', 'tsconfig', 'projectRoot', 'onDiagnostic'] };
  if (onDiagnostic) return factoryFor(ts, options, where, onDiagnostic);
  const found: ts.Diagnostic[] = [];
  /** Errors are thrown; warnings alone are printed on stderr. */
  const throwFound = () => {
    const all = found.splice(0);
    if (all.some((d) => d.category === ts.DiagnosticCategory.Error)) throw new Error(formatAll(ts, all));
    if (all.length) process.stderr.write(`${formatAll(ts, all)}\n`);
  };
  const factory = factoryFor(ts, options, where, (d) => found.push(d));
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

/** Where the transformer runs: the project's folder and tsconfig, and the Program when the host has one. */
interface Where {
  readonly projectRoot: string;
  readonly tsconfigPath: string | undefined;
  readonly program: ts.Program | undefined;
  /** Keys of the options the caller read for itself (`createTransformer`'s): not config keys. */
  readonly callerKeys?: readonly string[];
}

/**
 * Loads the config once; a config with errors reports them and leaves every file untouched. With a Program,
 * rules that select nothing in it are reported before the first file is transformed.
 */
function factoryFor(
  ts: TS,
  pluginOptions: TracedPluginOptions | undefined,
  { projectRoot, tsconfigPath, program, callerKeys }: Where,
  report: (diagnostic: ts.Diagnostic) => void,
): ts.TransformerFactory<ts.SourceFile> {
  const loaded = loadConfig(ts, pluginOptions, { projectRoot, tsconfigPath, callerKeys });
  loaded.diagnostics.forEach(report);
  const faulty = loaded.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
  if (faulty) return () => (sourceFile) => sourceFile;
  const p: ProgramContext = { ts, config: loaded.config, projectRoot, report };
  const selections = program ? checkProgramRules(p, program) : undefined;
  return (context) => (sourceFile) => {
    const original = ts.getParseTreeNode(sourceFile, ts.isSourceFile) ?? sourceFile;
    if (original.isDeclarationFile) return sourceFile;
    const selection = selections?.get(original) ?? selectSites(ts, original, p.config, { projectRoot });
    selections?.delete(original);
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
