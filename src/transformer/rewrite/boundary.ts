/**
 * Where a traced body ends. A nested function or class is a boundary: its `return`, `await` and `yield` belong
 * to it, not to the traced function. Parts of it run in the enclosing function, though, when the class is
 * defined: decorators, computed member names and `extends` clauses; an `await` there suspends the traced
 * function and must be wrapped like any other.
 *
 * @example
 *   async function traced() {
 *     class A extends (await base()) {          // runs in traced(): wrapped
 *       @log(await level()) [await key()]() {  // decorator and computed name run in traced(): wrapped
 *         await inner();                        // runs in the method: left alone
 *       }
 *     }
 *   }
 */
import type * as ts from 'typescript';

type TS = typeof import('typescript');

/** A nested function or class: a body of its own. */
export function isBoundary(ts: TS, node: ts.Node): boolean {
  return ts.isFunctionLike(node) || ts.isClassLike(node) || ts.isClassStaticBlockDeclaration(node);
}

/** Does `child` (a direct child of a boundary or of one of its members) run in the enclosing function? */
function runsOutside(ts: TS, child: ts.Node): boolean {
  return ts.isDecorator(child) || ts.isComputedPropertyName(child) || ts.isHeritageClause(child);
}

/** Members and parameters of a boundary: not outside themselves, but their decorators and computed names are. */
function holdsOutsideParts(ts: TS, child: ts.Node): boolean {
  return ts.isClassElement(child) || ts.isParameter(child);
}

/** Visits the parts of a boundary that run in the enclosing function with `visitor`; leaves the rest as it is. */
export function visitOutsideParts(
  ts: TS,
  boundary: ts.Node,
  visitor: ts.Visitor,
  context: ts.TransformationContext,
): ts.Node {
  if (ts.isClassStaticBlockDeclaration(boundary)) return boundary;
  const visitChild = (child: ts.Node): ts.Node => {
    if (runsOutside(ts, child)) return ts.visitNode(child, visitor) as ts.Node;
    if (holdsOutsideParts(ts, child)) return visitOutsideParts(ts, child, visitor, context);
    return child;
  };
  return ts.visitEachChild(boundary, visitChild, context);
}

/** Calls `fn` on `body` and every node in it that runs in its function (also outside parts of nested boundaries). */
export function forEachOwnNode(ts: TS, body: ts.Node, fn: (node: ts.Node) => void): void {
  const own = (node: ts.Node): void => {
    fn(node);
    if (isBoundary(ts, node)) ts.forEachChild(node, outside);
    else ts.forEachChild(node, own);
  };
  const outside = (child: ts.Node): void => {
    if (runsOutside(ts, child)) own(child);
    else if (holdsOutsideParts(ts, child) && !ts.isClassStaticBlockDeclaration(child)) ts.forEachChild(child, outside);
  };
  own(body);
}
