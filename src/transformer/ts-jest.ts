/**
 * `ts-traced/transformer/ts-jest`: the plugin in the shape ts-jest's `astTransformers` loads (`name`, `version`,
 * `factory(tsCompiler, options)`), so tests run the code as tspc builds it:
 *
 *   transform: { '^.+\\.tsx?$': ['ts-jest', { astTransformers: { before: ['ts-traced/transformer/ts-jest'] } }] }
 *
 * The options are those of the tsconfig plugin entry: the entry in ts-jest's tsconfig is read, the `options`
 * given to ts-jest win over it key by key, and traced.config.json beside the tsconfig is merged under both.
 * Works with the TypeScript ts-jest hands over, in its language-service and its transpile-only mode.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ts from 'typescript';
import type { TracedPluginOptions } from './config/types';
import { createTransformer } from './index';

/** The part of ts-jest's `TsCompilerInstance` read here. */
export interface TsJestCompiler {
  readonly configSet: {
    readonly compilerModule: typeof import('typescript');
    /** Jest's rootDir: the project root when the tsconfig is given inline rather than as a file. */
    readonly rootDir: string;
    readonly parsedTsConfig: { readonly options: ts.CompilerOptions };
  };
}

export const name = 'ts-traced';

/**
 * ts-jest puts `name-version` in Jest's cache key, so a new ts-traced release recompiles the tests. (Changes to
 * traced.config.json are not in that key: run `jest --clearCache` after editing it.)
 */
export const version: string = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * ts-jest calls `factory` once per compiled file: the config is loaded once per ts-jest compiler and options
 * object. Selection needs no Program, so one transformer serves every file of the compiler.
 */
const made = new WeakMap<TsJestCompiler, Map<unknown, ts.TransformerFactory<ts.SourceFile>>>();

export function factory(compiler: TsJestCompiler, options?: TracedPluginOptions): ts.TransformerFactory<ts.SourceFile> {
  let byOptions = made.get(compiler);
  if (!byOptions) made.set(compiler, (byOptions = new Map()));
  let transformer = byOptions.get(options);
  if (!transformer) {
    const { compilerModule, rootDir, parsedTsConfig } = compiler.configSet;
    const tsconfig = parsedTsConfig.options.configFilePath as string | undefined;
    const plugins = (parsedTsConfig.options.plugins ?? []) as readonly { transform?: unknown }[];
    const entry = plugins.find((p) => typeof p.transform === 'string' && p.transform.includes('ts-traced'));
    transformer = createTransformer(compilerModule, {
      ...(entry as TracedPluginOptions | undefined),
      ...options,
      tsconfig,
      projectRoot: tsconfig ? undefined : rootDir,
    });
    byOptions.set(options, transformer);
  }
  return transformer;
}
