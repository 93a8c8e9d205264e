/**
 * Constructs the rewrite cannot trace faithfully. Each is reported with what to do, and the function is left
 * exactly as it was: an untraced function is better than one that behaves a little differently.
 *
 * - `await using`: its disposal awaits at the end of the block, with no `await` to wrap, so the span's context
 *   would leak to whatever runs during that await.
 * - A body-level `function f` sharing its name with a `var f` (or another `function f`): legal at the top of a
 *   function, a SyntaxError once the body sits inside `try { }`.
 * - `args` / `onStart` on an arrow function with a destructured parameter: an arrow has no `arguments`, and the
 *   parameter's value is gone once it has been destructured.
 * - `with`: every generated name would be looked up on the `with` object first.
 */
import type * as ts from 'typescript';
import { tracedError, type TracedError } from '../diagnostics';
import type { Site } from '../select/site';
import { forEachOwnNode } from './boundary';

type TS = typeof import('typescript');

export interface Untraceable {
  readonly node: ts.Node;
  readonly error: TracedError;
}

/** The first construct in `site`'s function that cannot be traced, or undefined. */
export function findUntraceable(ts: TS, site: Site): Untraceable | undefined {
  const fn = site.node;
  if (!fn.body) return undefined;
  if (site.needsArguments && ts.isArrowFunction(fn)) {
    const destructured = fn.parameters.find((p) => !ts.isIdentifier(p.name));
    if (destructured) {
      return { node: destructured, error: tracedError('TT3003', { index: fn.parameters.indexOf(destructured) }) };
    }
  }
  let found: Untraceable | undefined;
  forEachOwnNode(ts, fn.body, (node) => {
    if (found) return;
    if (ts.isVariableDeclarationList(node) && isAwaitUsing(ts, node)) {
      found = { node, error: tracedError('TT3001', {}) };
    } else if (ts.isWithStatement(node)) {
      found = { node, error: tracedError('TT3005', {}) };
    }
  });
  return found ?? findHoistingConflict(ts, fn.body);
}

function isAwaitUsing(ts: TS, list: ts.VariableDeclarationList): boolean {
  const awaitUsing = (ts.NodeFlags as { AwaitUsing?: number }).AwaitUsing;
  return awaitUsing !== undefined && (list.flags & awaitUsing) === awaitUsing;
}

/** A body-level function declaration whose name is also a `var` of the body, or another body-level function. */
function findHoistingConflict(ts: TS, body: ts.ConciseBody): Untraceable | undefined {
  if (!ts.isBlock(body)) return undefined;
  const functions = body.statements.filter((s): s is ts.FunctionDeclaration & { name: ts.Identifier } =>
    ts.isFunctionDeclaration(s) && s.name !== undefined && s.body !== undefined,
  );
  if (functions.length === 0) return undefined;
  const vars = new Set<string>();
  forEachOwnNode(ts, body, (node) => {
    if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.BlockScoped) === 0) {
      for (const d of node.declarations) addBoundNames(ts, d.name, vars);
    }
  });
  const seen = new Set<string>();
  for (const fn of functions) {
    const name = fn.name.text;
    if (vars.has(name) || seen.has(name)) return { node: fn.name, error: tracedError('TT3002', { name }) };
    seen.add(name);
  }
  return undefined;
}

function addBoundNames(ts: TS, name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) addBoundNames(ts, e.name, into);
}
