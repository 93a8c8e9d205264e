/**
 * Instruments one function: its body is wrapped (body.ts) after the rewriters of its kind have run over it.
 * Everything else of the node (name, modifiers, `*`, parameters, types) is handed back unchanged through the
 * factory's `update` for that node kind.
 */
import type * as ts from 'typescript';
import { HELPER, SiteKind } from '../../contract';
import { tracedError } from '../diagnostics';
import type { FileContext } from '../context';
import type { Site } from '../select/site';
import { wrapBody, type StatementsRewriter } from './body';
import { rewriteReturns } from './returns';
import { rewriteSuspensions } from './suspensions';

/** What each kind needs inside its body, as typia routes by a table. */
const REWRITERS: Record<SiteKind, StatementsRewriter> = {
  [SiteKind.sync]: (c, statements, original) => rewriteReturns(c, statements, original, HELPER.ret),
  [SiteKind.async]: (c, statements, original) =>
    rewriteReturns(c, rewriteSuspensions(c, statements, original), original, HELPER.ret),
  [SiteKind.generator]: (c, statements, original) => rewriteSuspensions(c, statements, original),
  [SiteKind.asyncGenerator]: (c, statements, original) =>
    rewriteReturns(c, rewriteSuspensions(c, statements, original), original, HELPER.leave),
};

/** `fn` is the function as visited so far (nested sites already rewritten); `site.node` its parse tree. */
export function rewriteFunction(
  c: FileContext,
  fn: ts.FunctionLikeDeclaration,
  site: Site,
  siteName: string,
): ts.FunctionLikeDeclaration {
  const { ts, factory: f } = c;
  const body = wrapBody(c, fn, site, siteName, REWRITERS[site.kind]);
  const { modifiers, typeParameters: generics, parameters, type } = fn;
  if (ts.isFunctionDeclaration(fn)) {
    return f.updateFunctionDeclaration(fn, modifiers, fn.asteriskToken, fn.name, generics, parameters, type, body);
  }
  if (ts.isFunctionExpression(fn)) {
    return f.updateFunctionExpression(fn, fn.modifiers, fn.asteriskToken, fn.name, generics, parameters, type, body);
  }
  if (ts.isArrowFunction(fn)) {
    return f.updateArrowFunction(fn, fn.modifiers, generics, parameters, type, fn.equalsGreaterThanToken, body);
  }
  if (ts.isMethodDeclaration(fn)) {
    const { asteriskToken, questionToken } = fn;
    return f.updateMethodDeclaration(fn, modifiers, asteriskToken, fn.name, questionToken, generics, parameters, type, body);
  }
  if (ts.isGetAccessorDeclaration(fn)) {
    return f.updateGetAccessorDeclaration(fn, modifiers, fn.name, parameters, type, body);
  }
  if (ts.isSetAccessorDeclaration(fn)) return f.updateSetAccessorDeclaration(fn, modifiers, fn.name, parameters, body);
  throw tracedError('TT9000', { reason: `a ${ts.SyntaxKind[fn.kind]} cannot be a site` });
}
