/**
 * Wraps a function body in place: the original statements move, as they are, into a `try` between `enter`
 * and `exit`, so they keep their positions (source maps, stack traces) and run in the same function (no extra
 * frame; `this`, `arguments`, `super`, `new.target` unchanged).
 *
 * @example
 *   function f(a) { "use strict"; S }   →   function f(a) {
 *                                              "use strict";                        // prologue stays first
 *                                              const $s = __traced.v1.enter($site_1); // (…, arguments) with args/onStart
 *                                              try { S' }
 *                                              catch ($e) { __traced.v1.fail($s, $e); throw $e; }
 *                                              finally { __traced.v1.exit($s); }
 *                                            }
 *   async (x) => e                      →   async (x) => { const $s = …; try { return __traced.v1.ret($s, e'); } … }
 *
 * `S'` is S with returns and suspensions rewritten (the `rewrite` argument); arrows pass their parameters
 * (`[a, b, ...rest]`) where functions pass `arguments`.
 */
import type * as ts from 'typescript';
import { HELPER, SiteKind } from '../../contract';
import { tracedError } from '../diagnostics';
import type { FileContext } from '../context';
import type { Site } from '../select/site';
import { afterToken, like, mappedTo } from './preserve';
import { rewriteSuspensions } from './suspensions';

/** Rewrites the statements of a block body; `original` is the parse-tree body, for the rewriters' checks. */
export type StatementsRewriter = (
  c: FileContext,
  statements: readonly ts.Statement[],
  original: ts.Node,
) => ts.Statement[];

export function wrapBody(
  c: FileContext,
  fn: ts.FunctionLikeDeclaration,
  site: Site,
  siteName: string,
  rewrite: StatementsRewriter,
): ts.Block {
  const { ts, factory } = c;
  const body = fn.body;
  const original = site.node.body;
  if (!body || !original) throw tracedError('TT9000', { reason: 'the function has no body' });
  const enterCall = c.runtime.call(HELPER.enter, enterArguments(c, fn, site, siteName));
  const enter = factory.createVariableStatement(
    undefined,
    factory.createVariableDeclarationList(
      [factory.createVariableDeclaration(c.state(), undefined, undefined, enterCall)],
      ts.NodeFlags.Const,
    ),
  );
  if (ts.isBlock(body)) {
    const directives = body.statements.findIndex((s) => !isDirective(ts, s));
    const split = directives === -1 ? body.statements.length : directives;
    const statements = rewrite(c, body.statements.slice(split), original);
    // A new block rather than updateBlock: a one-line body must not print the try statement on one line.
    const block = factory.createBlock([...body.statements.slice(0, split), enter, guarded(c, statements)], true);
    return like(ts, block, body);
  }
  // A concise body is a sync or async arrow: its expression becomes the operand of one return.
  const [rewritten] = site.kind === SiteKind.async ? rewriteSuspensions(c, [body], original) : [body];
  const arrowToken = (site.node as ts.ArrowFunction).equalsGreaterThanToken;
  const expression = afterToken(ts, c.sourceFile, arrowToken.end, rewritten);
  // The return is new, its operand is the user's: a debugger stepping onto the line shows the arrow's expression.
  const result = mappedTo(ts, factory.createReturnStatement(c.runtime.call(HELPER.ret, [c.state(), expression])), body);
  return factory.createBlock([enter, guarded(c, [result])], true);
}

/** A `"use …"` prologue directive: a string literal statement at the start of a body. */
export function isDirective(ts: typeof import('typescript'), statement: ts.Statement): boolean {
  return ts.isExpressionStatement(statement) && ts.isStringLiteral(statement.expression);
}

/** `try { statements } catch ($e) { fail($s, $e); throw $e; } finally { exit($s); }` */
function guarded(c: FileContext, statements: readonly ts.Statement[]): ts.TryStatement {
  const { factory } = c;
  const error = () => factory.createIdentifier(c.names.error);
  return factory.createTryStatement(
    factory.createBlock(statements, true),
    factory.createCatchClause(
      c.names.error,
      factory.createBlock(
        [
          factory.createExpressionStatement(c.runtime.call(HELPER.fail, [c.state(), error()])),
          factory.createThrowStatement(error()),
        ],
        true,
      ),
    ),
    factory.createBlock([factory.createExpressionStatement(c.runtime.call(HELPER.exit, [c.state()]))], true),
  );
}

/** `($site_N)`, `($site_N, arguments)`, or in an arrow `($site_N, [a, b, ...rest])`. */
function enterArguments(
  c: FileContext,
  fn: ts.FunctionLikeDeclaration,
  site: Site,
  siteName: string,
): ts.Expression[] {
  const { ts, factory } = c;
  const handle = factory.createIdentifier(siteName);
  if (!site.needsArguments) return [handle];
  if (!ts.isArrowFunction(fn)) return [handle, factory.createIdentifier('arguments')];
  const values = fn.parameters.map((p) => {
    if (!ts.isIdentifier(p.name)) throw tracedError('TT3003', { index: fn.parameters.indexOf(p) });
    const value = factory.createIdentifier(p.name.text);
    return p.dotDotDotToken ? factory.createSpreadElement(value) : value;
  });
  return [handle, factory.createArrayLiteralExpression(values, false)];
}
