/**
 * `ts-traced/bundler`: one plugin for Vite, Rollup, Rolldown, webpack, Rspack and esbuild (built on unplugin).
 * In the transform hook, before any TypeScript compilation (`enforce: "pre"`), each source file of the project
 * gets the text rewrite: the same selection and generated calls as tspc with the plugin, with a source map the
 * bundler chains to the file.
 *
 *   // vite.config.ts                          // esbuild
 *   import traced from 'ts-traced/bundler';    await esbuild.build({ plugins: [traced.esbuild()], ... });
 *   export default { plugins: [traced.vite()] };
 *
 * The project is the tsconfig.json of `tsconfig`, else of the Vite root or the working directory (or its
 * nearest parent): its plugin entry and traced.config.json are read as tspc would; options given here win.
 * A configuration or marker error fails the build with the file, line and message, as it fails tspc.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type * as ts from 'typescript';
import { createUnplugin, type UnpluginInstance } from 'unplugin';
import { loadTypeScript } from './host-typescript';
import { hostOption } from './transformer/config/load';
import type { TracedPluginOptions } from './transformer/config/types';
import { createTextRewriter, nodeFormatOf, readProject, type TextRewriter, type TextRewriterOptions } from './transformer/text/index';

export interface TracedBundlerOptions extends TracedPluginOptions {
  /** The project's tsconfig.json. Default: the one of the Vite root or the working directory, or a parent's. */
  readonly tsconfig?: string;
}

const SOURCE = /\.[cm]?[jt]sx?$/;

interface Project {
  readonly ts: typeof import('typescript');
  readonly rewriter: TextRewriter;
  readonly root: string;
}

function openProject(options: TracedBundlerOptions, base: string): Project {
  const given = hostOption(options, 'tsconfig') as string | undefined;
  const ts = loadTypeScript(base, 'ts-traced/bundler');
  const tsconfig = given ? resolve(base, given) : ts.findConfigFile(base, (f) => existsSync(f));
  const project = tsconfig ? readProject(ts, tsconfig) : undefined;
  const root = project?.projectRoot ?? base;
  const host = { tsconfig: project?.tsconfigPath, projectRoot: root, compilerOptions: project?.options };
  let merged: TextRewriterOptions;
  try {
    const { tsconfig: _given, ...pluginOptions } = options;
    merged = { ...project?.pluginOptions, ...pluginOptions, ...host };
  } catch {
    // Options that cannot be read go to the loader as they are: it reports them (TT1009), and buildStart fails.
    merged = options;
  }
  return { ts, rewriter: createTextRewriter(ts, merged), root };
}

function format(project: Project, diagnostics: readonly ts.Diagnostic[]): string {
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => project.root, getNewLine: () => '\n' };
  return project.ts.formatDiagnostics(diagnostics, host).trimEnd();
}

const instance: UnpluginInstance<TracedBundlerOptions | undefined, false> = createUnplugin((options: TracedBundlerOptions | undefined) => {
  let base = process.cwd();
  let project: Project | undefined;
  const open = () => (project ??= openProject(options ?? {}, base));
  const errorsIn = (diagnostics: readonly ts.Diagnostic[]) =>
    diagnostics.filter((d) => d.category === open().ts.DiagnosticCategory.Error);
  return {
    name: 'ts-traced',
    enforce: 'pre',
    vite: {
      configResolved(config: { root: string }) {
        base = config.root;
      },
    },
    buildStart() {
      const faults = errorsIn(open().rewriter.diagnostics);
      if (faults.length) throw new Error(`ts-traced: ${format(open(), faults)}`);
    },
    transformInclude(id) {
      const fileName = id.split('?')[0];
      if (id.startsWith('\0') || !SOURCE.test(fileName) || /\.d\.[cm]?ts$/.test(fileName)) return false;
      const path = relative(open().root, fileName);
      return !path.startsWith('..') && !isAbsolute(path) && !path.split(/[\\/]/).includes('node_modules');
    },
    transform(code, id) {
      const fileName = id.split('?')[0];
      const result = open().rewriter.rewrite(fileName, code, nodeFormatOf(fileName));
      const faults = errorsIn(result.diagnostics);
      if (faults.length) throw new Error(`ts-traced: ${format(open(), faults)}`);
      if (!result.map) return undefined;
      return { code: result.code, map: { ...result.map, sources: [fileName] } };
    },
  };
});

export default instance;
/** Typed through the instance: inferred, the declarations would name types unplugin does not export. */
type Instance = typeof instance;
export const vite: Instance['vite'] = instance.vite;
export const rollup: Instance['rollup'] = instance.rollup;
export const rolldown: Instance['rolldown'] = instance.rolldown;
export const webpack: Instance['webpack'] = instance.webpack;
export const rspack: Instance['rspack'] = instance.rspack;
export const esbuild: Instance['esbuild'] = instance.esbuild;
