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
export function rewriteFunction(c: FileContext, fn: ts.FunctionLikeDeclaration, site: Site, siteName: string): ts.FunctionLikeDeclaration {
  const { ts, factory } = c;
  const body = wrapBody(c, fn, site, siteName, REWRITERS[site.kind]);
  if (ts.isFunctionDeclaration(fn)) {
    return factory.updateFunctionDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, body);
  }
  if (ts.isFunctionExpression(fn)) {
    return factory.updateFunctionExpression(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.typeParameters, fn.parameters, fn.type, body);
  }
  if (ts.isArrowFunction(fn)) {
    return factory.updateArrowFunction(fn, fn.modifiers, fn.typeParameters, fn.parameters, fn.type, fn.equalsGreaterThanToken, body);
  }
  if (ts.isMethodDeclaration(fn)) {
    return factory.updateMethodDeclaration(fn, fn.modifiers, fn.asteriskToken, fn.name, fn.questionToken, fn.typeParameters, fn.parameters, fn.type, body);
  }
  if (ts.isGetAccessorDeclaration(fn)) {
    return factory.updateGetAccessorDeclaration(fn, fn.modifiers, fn.name, fn.parameters, fn.type, body);
  }
  if (ts.isSetAccessorDeclaration(fn)) {
    return factory.updateSetAccessorDeclaration(fn, fn.modifiers, fn.name, fn.parameters, body);
  }
  throw tracedError('TT9000', { reason: `a ${ts.SyntaxKind[fn.kind]} cannot be a site` });
}
