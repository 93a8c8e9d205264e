/**
 * The source-to-source rewrite, for every pipeline that cannot run a TypeScript transformer: `traced codegen`,
 * the `ts-traced/register` load hook and the `ts-traced/bundler` plugin. One `TextRewriter` per project: the
 * config is loaded once (as `createTransformer` does), then each file is rewritten from its text alone.
 * Works with the TypeScript instance it is given, never one of its own.
 */
import { dirname } from 'node:path';
import type * as ts from 'typescript';
import { hostOption, loadConfig } from '../config/load';
import type { ResolvedConfig, TracedPluginOptions } from '../config/types';
import { parseSource, rewriteSource, type ModuleFormat, type RewriteResult } from './file';
import { moduleFormatOf } from './project';

type TS = typeof import('typescript');

export type { ModuleFormat, RewriteResult, SourceMapV3 } from './file';
export { moduleFormatOf, nodeFormatOf, readProject, type Project } from './project';

export interface TextRewriterOptions extends TracedPluginOptions {
  /** The project's tsconfig.json: traced.config.json is looked for beside it, config faults point into it. */
  readonly tsconfig?: string;
  /** Base of `code.filepath`: default the tsconfig's folder, else the cwd. */
  readonly projectRoot?: string;
  /**
   * The compiler options the output will be compiled with: they decide how a script reaches the runtime
   * (`moduleFormatOf`) and whether a dropped marker leaves a no-op decorator for `emitDecoratorMetadata`.
   */
  readonly compilerOptions?: ts.CompilerOptions;
}

export interface TextRewriter {
  readonly config: ResolvedConfig;
  readonly projectRoot: string;
  /** TT1xxx config faults. With an error among them, `rewrite` leaves every file as it is. */
  readonly diagnostics: readonly ts.Diagnostic[];
  /** `moduleFormat` overrides what the compiler options say (a load hook knows how Node runs the file). */
  rewrite(fileName: string, text: string, moduleFormat?: ModuleFormat): RewriteResult;
}

export function createTextRewriter(ts: TS, options: TextRewriterOptions = {}): TextRewriter {
  // The options go to the loader unread, which reports unreadable ones (TT1009): only these keys are read here.
  const tsconfig = hostOption(options, 'tsconfig') as string | undefined;
  const root = hostOption(options, 'projectRoot') as string | undefined;
  const compilerOptions = (hostOption(options, 'compilerOptions') ?? {}) as ts.CompilerOptions;
  const projectRoot = root ?? (tsconfig ? dirname(tsconfig) : process.cwd());
  const callerKeys = ['tsconfig', 'projectRoot', 'compilerOptions'];
  const loaded = loadConfig(ts, options, { projectRoot, tsconfigPath: tsconfig, callerKeys });
  const broken = loaded.diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);
  const config: ResolvedConfig = broken ? { ...loaded.config, enabled: false } : loaded.config;
  const keepsDecoratorMetadata = Boolean(compilerOptions.experimentalDecorators && compilerOptions.emitDecoratorMetadata);
  return {
    config,
    projectRoot,
    diagnostics: loaded.diagnostics,
    rewrite(fileName, text, moduleFormat) {
      const file = parseSource(ts, fileName, text);
      return rewriteSource(ts, file, config, {
        projectRoot,
        moduleFormat: moduleFormat ?? moduleFormatOf(ts, fileName, compilerOptions),
        keepsDecoratorMetadata,
      });
    },
  };
}
