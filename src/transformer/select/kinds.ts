/**
 * What kind of function a node is, read from the syntax alone: the execution kind the runtime needs
 * (`SiteKind`: the `async` modifier and `*`) and the syntactic kind config rules filter on.
 */
import type * as ts from 'typescript';
import { SiteKind } from '../../contract';
import type { ExecutionKindName, FunctionKindName } from '../config/types';

/** Function-like nodes that can carry a body: the only nodes a site can be. */
export type FunctionNode = ts.FunctionLikeDeclaration;

export function isFunctionNode(ts: typeof import('typescript'), node: ts.Node): node is FunctionNode {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isConstructorDeclaration(node)
  );
}

/** `async function*` → asyncGenerator, `function*` → generator, `async` → async, else sync. */
export function siteKindOf(ts: typeof import('typescript'), fn: FunctionNode): SiteKind {
  const isAsync = (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) !== 0;
  const isGenerator = fn.asteriskToken !== undefined;
  if (isAsync) return isGenerator ? SiteKind.asyncGenerator : SiteKind.async;
  return isGenerator ? SiteKind.generator : SiteKind.sync;
}

const EXECUTION_NAMES: Record<SiteKind, ExecutionKindName> = {
  [SiteKind.sync]: 'sync',
  [SiteKind.async]: 'async',
  [SiteKind.generator]: 'generator',
  [SiteKind.asyncGenerator]: 'asyncGenerator',
};

/** The name config's `async` key uses for a `SiteKind`. */
export function executionKindName(kind: SiteKind): ExecutionKindName {
  return EXECUTION_NAMES[kind];
}

/** The name config's `kinds` key uses for the node; undefined for constructors, which rules never select. */
export function functionKindOf(ts: typeof import('typescript'), fn: FunctionNode): FunctionKindName | undefined {
  if (ts.isFunctionDeclaration(fn)) return 'function';
  if (ts.isFunctionExpression(fn)) return 'expression';
  if (ts.isArrowFunction(fn)) return 'arrow';
  if (ts.isMethodDeclaration(fn)) return 'method';
  if (ts.isGetAccessorDeclaration(fn) || ts.isSetAccessorDeclaration(fn)) return 'accessor';
  return undefined;
}
