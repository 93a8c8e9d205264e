/**
 * The module hooks of `ts-traced/register` (see register.ts). A file of the project (under the tsconfig's folder,
 * outside node_modules) is instrumented on load with the text rewrite, then, if it is TypeScript, compiled to
 * JavaScript with the project's own `typescript` package and compiler options; the source map of both steps
 * is composed and inlined, so stack traces (with source maps enabled) name the user's lines and columns.
 *
 * The same hooks serve `module.registerHooks` (in the thread, synchronous: import and require alike) and
 * `module.register` (a loader thread: import only, with `initialize`); `installCommonJs` covers require where
 * only the latter exists. Resolution tries the TypeScript file behind a relative `./x.js` that does not exist,
 * as tsc's NodeNext resolution does.
 */
import { existsSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as ts from 'typescript';
import { loadTypeScript } from './host-typescript';
import { createTextRewriter, nodeFormatOf, readProject, type ModuleFormat } from './transformer/text/index';

type TS = typeof import('typescript');

/** `@jridgewell/remapping`'s CommonJS typings do not parse under TypeScript 5 (`export = function`): typed here. */
type Remap = (
  input: object | string,
  loader: (file: string, ctx: { readonly depth: number }) => object | string | null | undefined,
) => object;
const remapping = require('@jridgewell/remapping') as Remap;

export interface RegisterData {
  /** Where the app was started: its tsconfig.json (here or in a parent folder) and `typescript` are looked up from here. */
  readonly cwd: string;
  /** `TRACED_TSCONFIG`: another tsconfig than `<cwd>/tsconfig.json`. */
  readonly tsconfig?: string;
}

const TS_FILE = /\.[cm]?tsx?$/;
const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/** A cheap first look, before the compiler exists: its own loading (typescript) must not come back here. */
const mayOwn = (fileName: string) => SOURCE_FILE.test(fileName) && !fileName.split(/[\\/]/).includes('node_modules');

export interface Compiler {
  /** Is `fileName` the project's to instrument (and, for TypeScript, to compile)? */
  owns(fileName: string): boolean;
  /** JavaScript for `fileName` run as `format`; undefined for a JavaScript file with nothing to trace. */
  compile(fileName: string, source: string, format: ModuleFormat): string | undefined;
}

export function createCompiler(data: RegisterData): Compiler {
  const ts = loadTypeScript(data.cwd, 'ts-traced/register');
  const tsconfig = data.tsconfig ?? ts.findConfigFile(data.cwd, (f) => existsSync(f));
  const project = tsconfig === undefined ? undefined : readProject(ts, tsconfig);
  const root = project?.projectRoot ?? data.cwd;
  const options: ts.CompilerOptions = project?.options ?? {};
  const rewriter = createTextRewriter(ts, { ...project?.pluginOptions, tsconfig: project?.tsconfigPath, projectRoot: root, compilerOptions: options });
  const report = (diagnostics: readonly ts.Diagnostic[]) => {
    if (diagnostics.length) process.emitWarning(ts.formatDiagnostics(diagnostics, formatHost(ts)).trimEnd(), { code: 'TS_TRACED' });
  };
  report([...(project?.errors ?? []), ...rewriter.diagnostics]);
  return {
    owns(fileName) {
      const path = relative(root, fileName);
      return SOURCE_FILE.test(fileName) && !path.startsWith('..') && !isAbsolute(path) && !path.split(/[\\/]/).includes('node_modules');
    },
    compile(fileName, source, format) {
      const result = rewriter.rewrite(fileName, source, format);
      report(result.diagnostics);
      if (!TS_FILE.test(fileName)) return result.map ? withMap(result.code, result.map) : undefined;
      const out = ts.transpileModule(result.code, {
        fileName,
        reportDiagnostics: true,
        compilerOptions: {
          ...options,
          module: format === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
          // Without a tsconfig, what every supported Node runs as it is (TypeScript's own default is ES5).
          target: options.target ?? ts.ScriptTarget.ES2022,
          moduleResolution: undefined,
          sourceMap: true,
          inlineSourceMap: false,
          inlineSources: false,
          declaration: false,
          noEmit: false,
        },
      });
      // Faults of the source itself; option faults are tsc's to report.
      const errors = (out.diagnostics ?? []).filter((d) => d.file && d.category === ts.DiagnosticCategory.Error);
      if (errors.length) throw new SyntaxError(ts.formatDiagnostics(errors, formatHost(ts)).trimEnd());
      const compiled = JSON.parse(out.sourceMapText!);
      // The compiler's map points into the instrumented text; the rewrite's map takes it on to the file.
      const map = result.map ? remapping(compiled, (_file, ctx) => (ctx.depth === 1 ? (result.map as never) : null)) : compiled;
      return withMap(out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'), { ...map, sources: [fileName], sourcesContent: [source] });
    },
  };
}

function formatHost(ts: TS): ts.FormatDiagnosticsHost {
  return { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' };
}

function withMap(code: string, map: object): string {
  return `${code}${code.endsWith('\n') ? '' : '\n'}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

/** `./x.js` → `./x.ts`, `./x.mjs` → `./x.mts`, `./x.cjs` → `./x.cts`, `./x.jsx` → `./x.tsx`. */
function typeScriptTwin(specifier: string): string | undefined {
  return /^\.\.?\//.test(specifier) && /\.[cm]?jsx?$/.test(specifier) ? specifier.replace(/js(x?)$/, 'ts$1') : undefined;
}

interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
}
type Resolve = (specifier: string, context: object) => ResolveResult;
type Load = (url: string, context: { format?: string | null }) => { format?: string | null; source?: unknown; shortCircuit?: boolean };

/** The hooks over one compiler. `commonJsByLoader`: CommonJS files are left to require (installCommonJs). */
export function hooksFor(compiler: () => Compiler, commonJsByLoader: boolean) {
  const owned = (url: string) => url.startsWith('file:') && mayOwn(fileURLToPath(url)) && compiler().owns(fileURLToPath(url));
  const ownedTs = (url: string) => TS_FILE.test(url) && owned(url);
  const withFormat = (r: ResolveResult): ResolveResult =>
    ownedTs(r.url) ? { ...r, format: nodeFormatOf(fileURLToPath(r.url)) === 'esm' ? 'module' : 'commonjs' } : r;
  return {
    resolveWith<T extends ResolveResult | Promise<ResolveResult>>(specifier: string, context: object, next: (s: string, c: object) => T): T {
      const twin = typeScriptTwin(specifier);
      const retry = (error: unknown): ResolveResult | Promise<ResolveResult> => {
        const code = (error as { code?: string }).code;
        if (!twin || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND')) throw error;
        const again = next(twin, context);
        return again instanceof Promise ? again.then(withFormat) : withFormat(again as ResolveResult);
      };
      try {
        const r = next(specifier, context);
        return (r instanceof Promise ? r.then(withFormat, retry) : withFormat(r as ResolveResult)) as T;
      } catch (error) {
        return retry(error) as T;
      }
    },
    /** What to return for `url`, or undefined to pass it on. `read` gives a JavaScript file's source from the next loader. */
    loadOwn(url: string, format: string | null | undefined): { format: string; source?: string; shortCircuit: true } | undefined {
      if (!owned(url)) return undefined;
      const fileName = fileURLToPath(url);
      const kind: ModuleFormat = format === 'module' ? 'esm' : format === 'commonjs' ? 'cjs' : nodeFormatOf(fileName);
      const nodeFormat = kind === 'esm' ? 'module' : 'commonjs';
      if (kind === 'cjs' && commonJsByLoader) return { format: nodeFormat, shortCircuit: true };
      const code = compiler().compile(fileName, readFileSync(fileName, 'utf8'), kind);
      if (code === undefined) return undefined;
      return { format: nodeFormat, source: code, shortCircuit: true };
    },
  };
}

// module.register: the loader thread's entry points.
let threadHooks: ReturnType<typeof hooksFor> | undefined;

export function initialize(data: RegisterData): void {
  let compiler: Compiler | undefined;
  threadHooks = hooksFor(() => (compiler ??= createCompiler(data)), true);
}

export function resolve(specifier: string, context: object, next: (s: string, c: object) => Promise<ResolveResult>): Promise<ResolveResult> {
  return threadHooks!.resolveWith(specifier, context, next);
}

export async function load(url: string, context: { format?: string | null }, next: (u: string, c: object) => Promise<ReturnType<Load>>) {
  return threadHooks!.loadOwn(url, context.format) ?? next(url, context);
}

/** require() of the project's files where `module.registerHooks` does not exist: the `Module._extensions` handlers. */
export function installCommonJs(compiler: () => Compiler): void {
  const M = Module as unknown as {
    _extensions: Record<string, (module: { _compile(code: string, fileName: string): void }, fileName: string) => void>;
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
  };
  const fallback = M._extensions['.js'];
  for (const ext of ['.ts', '.cts', '.tsx', '.js', '.cjs', '.jsx']) {
    const previous = M._extensions[ext] ?? fallback;
    M._extensions[ext] = (module, fileName) => {
      const owned = mayOwn(fileName) && compiler().owns(fileName);
      const code = owned ? compiler().compile(fileName, readFileSync(fileName, 'utf8'), 'cjs') : undefined;
      if (code === undefined) return previous(module, fileName);
      module._compile(code, fileName);
    };
  }
  const resolveFilename = M._resolveFilename;
  M._resolveFilename = function (request, ...rest) {
    try {
      return resolveFilename.call(this, request, ...rest);
    } catch (error) {
      const twin = typeScriptTwin(request);
      if (!twin || (error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
      return resolveFilename.call(this, twin, ...rest);
    }
  };
}

/** The hooks module's own URL, for `module.register`. */
export const HOOKS_URL = pathToFileURL(__filename).href;
