/**
 * `return e` in a traced body hands `e` to the runtime on its way out:
 *
 * @example
 *   return total;          →  return __traced.v1.ret($s, total);     // sync and async functions
 *   return total;          →  return __traced.v1.leave($s, total);   // async generators: `return` awaits `e`
 *   return;                →  return;                                  // nothing to see, nothing awaited
 *
 * Generators keep their returns (the value goes to the caller's `next()` without suspending). The visitor stops
 * at nested functions and classes: their returns are their own.
 */
import type * as ts from 'typescript';
import type { HELPER } from '../../contract';
import { tracedError } from '../diagnostics';
import type { FileContext } from '../context';
import { forEachOwnNode, isBoundary } from './boundary';

/** The helper a `return e` goes through: `ret` in sync and async functions, `leave` in async generators. */
export type ReturnHelper = typeof HELPER.ret | typeof HELPER.leave;

export function rewriteReturns(
  c: FileContext,
  statements: readonly ts.Statement[],
  original: ts.Node,
  helper: ReturnHelper,
): ts.Statement[] {
  const { ts, factory } = c;
  let wrapped = 0;
  const visit = (node: ts.Node): ts.VisitResult<ts.Node> => {
    if (isBoundary(ts, node)) return node;
    if (ts.isReturnStatement(node) && node.expression) {
      wrapped++;
      // The operand holds no return of this body (a return is a statement), so it moves over as it is.
      return factory.updateReturnStatement(node, c.runtime.call(helper, [c.state(), node.expression]));
    }
    return ts.visitEachChild(node, visit, c.transformation);
  };
  const result = ts.visitNodes(factory.createNodeArray(statements), visit, ts.isStatement);
  const expected = countReturns(ts, original);
  if (wrapped !== expected) throw tracedError('TT9001', { what: 'return', expected, actual: wrapped });
  return [...result];
}

/** Returns with an operand that belong to `body` itself, read from the parse tree. */
function countReturns(ts: typeof import('typescript'), body: ts.Node): number {
  let n = 0;
  forEachOwnNode(ts, body, (node) => {
    if (ts.isReturnStatement(node) && node.expression) n++;
  });
  return n;
}
