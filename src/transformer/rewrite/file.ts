/**
 * The per-file driver: the only visitor over a whole source file. It visits bottom-up, so a function nested in a
 * traced function is rewritten first and then moves with its parent's body; at each selected node it runs the
 * rewrite, and a site that fails is reported and left as it was (never a compiler crash). ts-traced's decorator
 * markers leave the emit. Last it adds the runtime import after the file's prologue, then the site records:
 *
 * @example
 *   "use strict";
 *   import * as __traced from "ts-traced/runtime";
 *   __traced.requireVersion(1);
 *   function $site_1() { return __traced.v1.site({ ... }); } // static records: hoisted, there before any import runs
 *   import { db } from "./db";
 *   var $site_2 = __traced.v1.site({ ... }, { onStart });    // a record with run-time options, right before
 *   export class Orders { ... }                               // the statement that holds its function
 */
import type * as ts from 'typescript';
import type { FileContext, ProgramContext } from '../context';
import { internalError, toDiagnostic, tracedError, type TracedError } from '../diagnostics';
import type { Site } from '../select/site';
import { isDirective } from './body';
import { hasMarker, withoutMarkers } from './decorators';
import { rewriteFunction } from './function';
import { createRuntimeImport, importFormOf } from './imports';
import { createNames } from './names';
import { siteDeclaration } from './site-record';
import { findUntraceable } from './untraceable';

/** What selection found in the file: sites and markers, as nodes of its parse tree. */
export interface FileSelection {
  readonly sites: ReadonlyMap<ts.Node, Site>;
  readonly decorators: readonly ts.Decorator[];
}

/**
 * `sourceFile` is the file as it reaches this transformer (other `before` transformers may have run);
 * `original` its parse tree, which selection and every check read.
 */
export function rewriteFile(
  p: ProgramContext,
  transformation: ts.TransformationContext,
  sourceFile: ts.SourceFile,
  original: ts.SourceFile,
  selection: FileSelection,
): ts.SourceFile {
  const { ts } = p;
  const report = (node: ts.Node, error: TracedError) => p.report(toDiagnostic(ts, original, node, error));
  const markers = new Set<ts.Node>(selection.decorators);
  let traceable = [...selection.sites.values()];
  if (traceable.length === 0 && markers.size === 0) return sourceFile;
  const form = importFormOf(ts, original, transformation.getCompilerOptions());
  if (form === undefined) {
    for (const site of traceable) report(site.node, tracedError('TT3004', {}));
    traceable = [];
  }
  const statements = sourceFile.statements;
  const firstCode = statements.findIndex((s) => !isDirective(ts, s));
  const split = firstCode === -1 ? statements.length : firstCode;
  /** Index of the module statement that holds `site`: where a record with run-time options goes. */
  const holderOf = (site: Site) =>
    statements.findIndex((statement, i) => {
      const holder = ts.getOriginalNode(statement);
      return i >= split && holder.pos >= 0 && site.node.pos >= holder.pos && site.node.end <= holder.end;
    });
  traceable = traceable
    .filter((site) => {
      const problem = findUntraceable(ts, site);
      if (problem) report(problem.node, problem.error);
      return !problem;
    })
    .filter((site) => {
      // Another transformer replaced the statement that holds it: there is no safe place for its record.
      const lost = site.dynamic !== undefined && holderOf(site) === -1;
      const reason = 'the statement holding this function was replaced';
      if (lost) report(site.node, tracedError('TT9000', { reason }));
      return !lost;
    })
    .sort((a, b) => a.node.pos - b.node.pos);

  const factory = transformation.factory;
  const names = createNames(ts, original);
  const c: FileContext = {
    ...p,
    transformation,
    factory,
    sourceFile: original,
    names,
    runtime: createRuntimeImport(ts, factory, names.namespace, form ?? 'import'),
    state: () => factory.createIdentifier(names.state),
  };
  const live = new Map<ts.Node, Site>(traceable.map((site) => [site.node, site]));
  // `$site_N` follows source order.
  const siteNames = new Map<Site, string>(traceable.map((site, i) => [site, names.site(i + 1)]));
  const rewritten = new Set<Site>();

  // Where the work is: a subtree that starts no traced function and no marker is handed back as it is, unvisited.
  const starts = [...traceable.map((site) => site.node.pos), ...selection.decorators.map((d) => d.pos)].sort((a, b) => a - b);
  const holdsWork = (node: ts.Node): boolean => {
    if (node.pos < 0) return true; // made by another transformer: no position to judge by
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < node.pos) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length && starts[lo] < node.end;
  };

  const visit = (node: ts.Node): ts.Node => {
    const parseNode = ts.getOriginalNode(node);
    if (!holdsWork(parseNode)) return node;
    let visited = ts.visitEachChild(node, visit, transformation);
    if (hasMarker(ts, parseNode, markers)) {
      visited = withoutMarkers(c, visited as ts.HasDecorators & ts.HasModifiers, markers);
    }
    const site = live.get(parseNode);
    if (site === undefined) return visited;
    try {
      const result = rewriteFunction(c, visited as ts.FunctionLikeDeclaration, site, siteNames.get(site)!);
      rewritten.add(site);
      return result;
    } catch (error) {
      report(parseNode, internalError(error));
      return visited;
    }
  };

  const body = statements.slice(split).map((s) => visit(s) as ts.Statement);
  const records = (dynamic: boolean) =>
    traceable.filter((site) => rewritten.has(site) && (site.dynamic !== undefined) === dynamic);
  const placed = body.flatMap((statement, i) => {
    const declarations = records(true)
      .filter((site) => holderOf(site) === split + i)
      .map((site) => {
        const options = ts.visitNode(site.dynamic, visit) as ts.Expression;
        return siteDeclaration(c, site, siteNames.get(site)!, options);
      });
    return [...declarations, statement];
  });
  const staticRecords = records(false).map((site) => siteDeclaration(c, site, siteNames.get(site)!));
  const header = rewritten.size === 0 ? [] : [...c.runtime.statements(), ...staticRecords];
  return factory.updateSourceFile(sourceFile, [...statements.slice(0, split), ...header, ...placed]);
}
