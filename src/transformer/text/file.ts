/**
 * The text rewrite of one file: the same selection as the AST rewrite (`selectSites`, run on the file's own
 * parse), turned into the smallest edits of the user's text: insertions around bodies and around `return`,
 * `await` and `yield` operands (function.ts), the marker decorators taken out, and at the top the runtime
 * import and the static site records (records.ts). The result is still TypeScript (or JavaScript, for a
 * JavaScript input), for any compiler to take, with a source map back to the input.
 *
 * @example
 *   "use client";  import * as __traced from "ts-traced/runtime"; __traced.requireVersion(1); function $site_1() { … }
 *   import { db } from "./db";
 *   var $site_2 = __traced.v1.site({ ... }, { onStart });   export class Orders { ... }   // run-time options: before their statement
 */
import type * as ts from 'typescript';
import type { ResolvedConfig } from '../config/types';
import { internalError, toDiagnostic, tracedError, type TracedError } from '../diagnostics';
import { isDirective } from '../rewrite/body';
import { createNames } from '../rewrite/names';
import { findUntraceable } from '../rewrite/untraceable';
import { selectSites, type Selection } from '../select';
import type { Site } from '../select/site';
import { createEdits } from './edits';
import { depthOf, editFunction, type TextContext } from './function';
import { runtimeImport, siteDeclaration } from './records';

type TS = typeof import('typescript');

/** How the output runs, for a file with no import or export: see `RewriteOptions.moduleFormat`. */
export type ModuleFormat = 'esm' | 'cjs';

export interface RewriteOptions {
  /** Folder `code.filepath` is relative to. */
  readonly projectRoot: string;
  /**
   * How the output of a file with no import or export will run: `cjs` reaches the runtime with `require`,
   * `esm` with an import. Without it such a file is a script, and its functions are left untraced (TT3004),
   * since an import would turn it into a module.
   */
  readonly moduleFormat?: ModuleFormat;
  /** `experimentalDecorators` + `emitDecoratorMetadata`: a marker that was a member's only decorator leaves a no-op one. */
  readonly keepsDecoratorMetadata?: boolean;
}

export interface RewriteResult {
  /** The instrumented text; the input itself when nothing changed. */
  readonly code: string;
  /** Version 3 source map from `code` to the input, when something changed. */
  readonly map?: SourceMapV3;
  readonly selection: Selection;
  /** The sites that were instrumented (selected and traceable), in source order. */
  readonly traced: readonly Site[];
  /** Selection and rewrite problems (TT2xxx, TT3xxx, TT9xxx), positioned in this file. */
  readonly diagnostics: readonly ts.Diagnostic[];
}

export interface SourceMapV3 {
  readonly version: number;
  readonly file?: string;
  readonly sources: string[];
  readonly sourcesContent?: (string | null)[];
  readonly names: string[];
  readonly mappings: string;
}

/** Parses `text` as `fileName` says (.ts, .tsx, .mts, .cts, .js, .jsx, .mjs, .cjs). */
export function parseSource(ts: TS, fileName: string, text: string): ts.SourceFile {
  const ext = /\.[cm]?[jt]sx?$/.exec(fileName)?.[0] ?? '.ts';
  const kind = ext.endsWith('x')
    ? ext.startsWith('.t') ? ts.ScriptKind.TSX : ts.ScriptKind.JSX
    : ext.includes('j') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
}

export function rewriteSource(ts: TS, file: ts.SourceFile, config: ResolvedConfig, options: RewriteOptions): RewriteResult {
  const selection = selectSites(ts, file, config, { projectRoot: options.projectRoot });
  const diagnostics = [...selection.diagnostics];
  const report = (node: ts.Node, error: TracedError) => diagnostics.push(toDiagnostic(ts, file, node, error));
  const unchanged = { code: file.text, selection, traced: [], diagnostics };
  let traceable = [...selection.sites.values()].sort((a, b) => a.node.pos - b.node.pos);
  if (traceable.length === 0 && selection.decorators.length === 0) return unchanged;

  const form = ts.isExternalModule(file) || options.moduleFormat === 'esm' ? 'import' : options.moduleFormat === 'cjs' ? 'require' : undefined;
  if (form === undefined) {
    for (const site of traceable) report(site.node, tracedError('TT3004', {}));
    traceable = [];
  }
  traceable = traceable.filter((site) => {
    const problem = findUntraceable(ts, site);
    if (problem) report(problem.node, problem.error);
    return !problem;
  });

  const names = createNames(ts, file);
  const c: TextContext = { ts, file, edits: createEdits(), names };
  const traced: { site: Site; name: string }[] = [];
  traceable.forEach((site, i) => {
    const name = names.site(i + 1);
    const mark = c.edits.mark();
    try {
      editFunction(c, site, name);
      traced.push({ site, name });
    } catch (error) {
      c.edits.rollBack(mark);
      report(site.node, internalError(error));
    }
  });
  const typed = !/\.[cm]?jsx?$/.test(file.fileName);
  removeMarkers(c, selection.decorators, options.keepsDecoratorMetadata === true, typed);
  if (traced.length) addRecords(c, form!, traced, typed);
  if (c.edits.count === 0) return unchanged;

  const s = c.edits.apply(file.text, file.fileName);
  const map = s.generateMap({ source: file.fileName, includeContent: true, hires: 'boundary' });
  return { code: s.toString(), map: { ...map, file: undefined }, selection, traced: traced.map((t) => t.site), diagnostics };
}

/**
 * ts-traced's decorators leave the text (rewrite/decorators.ts), or a no-op where metadata depends on one; in
 * TypeScript (`typed`) the no-op takes any arguments, so the output type-checks.
 */
function removeMarkers(c: TextContext, decorators: readonly ts.Decorator[], keepsMetadata: boolean, typed: boolean): void {
  const { ts, file } = c;
  const markers = new Set<ts.Node>(decorators);
  for (const decorator of decorators) {
    const host = decorator.parent;
    const others = ts.canHaveDecorators(host) ? (ts.getDecorators(host) ?? []).filter((d) => !markers.has(d)) : [];
    const parameters: readonly ts.ParameterDeclaration[] = 'parameters' in host ? (host.parameters as ts.NodeArray<ts.ParameterDeclaration>) : [];
    const first = ts.canHaveDecorators(host) && ts.getDecorators(host)?.find((d) => markers.has(d)) === decorator;
    const needsStandIn = keepsMetadata && first && others.length === 0 && !parameters.some((p) => ts.getDecorators(p)?.length);
    c.edits.replace(decorator.getStart(file), decorator.end, needsStandIn ? `@((${typed ? '..._: unknown[]' : ''}) => { })` : '');
  }
}

/**
 * The import and static records at the top (after the prologue); records with run-time options before their
 * statement. In TypeScript (`typed`) the options go as `{}`: `site` reads only `onStart` from them, and the
 * decorator's other options would fail its excess-property check.
 */
function addRecords(c: TextContext, form: 'import' | 'require', traced: readonly { site: Site; name: string }[], typed: boolean): void {
  const { ts, file } = c;
  const ns = c.names.namespace;
  const statements = file.statements;
  const directives = statements.filter((s, i) => statements.slice(0, i + 1).every((d) => isDirective(ts, d)));
  const last = directives.at(-1);
  const first = statements[directives.length];
  const headerAt = last ? last.end : statementStart(ts, file, first);
  const semicolon = last && file.text[last.end - 1] !== ';' ? ';' : '';
  const statics = traced.filter((t) => t.site.dynamic === undefined).map((t) => siteDeclaration(ns, t.site, t.name));
  c.edits.open(headerAt, `${semicolon}${last ? ' ' : ''}${[runtimeImport(ns, form), ...statics].join(' ')}${last ? '' : ' '}`, 0);
  for (const { site, name } of traced) {
    if (site.dynamic === undefined) continue;
    const holder = ts.findAncestor(site.node, (n) => n.parent === file) as ts.Statement;
    const text = file.text.slice(site.dynamic.getStart(file), site.dynamic.end);
    const options = typed ? `(${text}) as {}` : text;
    c.edits.open(statementStart(ts, file, holder), `${siteDeclaration(ns, site, name, options)} `, depthOf(holder));
  }
}

/** Where to put text before `statement`: before its JSDoc (which stays attached to it), after any other comment. */
function statementStart(ts: TS, file: ts.SourceFile, statement: ts.Statement): number {
  const comments = ts.getLeadingCommentRanges(file.text, statement.pos) ?? [];
  let start = statement.getStart(file);
  for (let i = comments.length - 1; i >= 0 && file.text.startsWith('/**', comments[i].pos); i--) start = comments[i].pos;
  return start;
}
