/**
 * The edits that instrument one function, in place, as insertions around the user's text: the contract's
 * shape (src/contract.ts), the same the AST rewrite builds (rewrite/body.ts, returns.ts, suspensions.ts).
 *
 * @example
 *   function f(a) { "use strict"; S }   →   function f(a) { "use strict"; const $s = __traced.v1.enter($site_1); try { S' } catch ($e) { __traced.v1.fail($s, $e); throw $e; } finally { __traced.v1.exit($s); } }
 *   async (x) => e                      →   async (x) => { const $s = …; try { return __traced.v1.ret($s, e'); } catch … }
 *   return e                            →   return __traced.v1.ret($s, e)        // __traced.v1.leave in async generators
 *   await x                             →   __traced.v1.back($s, await __traced.v1.leave($s, x))
 *   yield x / yield / yield* x          →   __traced.v1.back($s, yield __traced.v1.leave($s, x)) / (…, void 0) / yield* __traced.v1.iter($s, x)
 *   for await (v of x) S                →   { for await (v of __traced.v1.iter($s, x)) { __traced.v1.back($s); S } __traced.v1.back($s); }
 *   catch (e) { B } / finally { F }     →   catch (e) { __traced.v1.back($s); B } / finally { __traced.v1.back($s); F }
 *
 * Line breaks are never added (edits.ts), so the user's code keeps its lines. Returns, suspensions and handlers
 * are found with the AST rewrite's own walk (`forEachOwnNode`), which stops at nested functions and classes
 * except for the parts of them that run in this body.
 */
import type * as ts from 'typescript';
import { SiteKind, type HelperName } from '../../contract';
import { tracedError } from '../diagnostics';
import { isDirective } from '../rewrite/body';
import { forEachOwnNode } from '../rewrite/boundary';
import { jumpsOutOf } from '../rewrite/suspensions';
import type { Names } from '../rewrite/names';
import type { Site } from '../select/site';
import type { Edits } from './edits';
import { helper } from './records';

type TS = typeof import('typescript');

export interface TextContext {
  readonly ts: TS;
  readonly file: ts.SourceFile;
  readonly edits: Edits;
  readonly names: Names;
}

/** Nesting depth of a node: what orders insertions that meet at one position. */
export function depthOf(node: ts.Node): number {
  let depth = 0;
  for (let n = node.parent; n; n = n.parent) depth++;
  return depth;
}

export function editFunction(c: TextContext, site: Site, siteName: string): void {
  const { ts, file, edits } = c;
  const fn = site.node;
  const body = fn.body;
  if (!body) throw tracedError('TT9000', { reason: 'the function has no body' });
  const call = (name: HelperName, ...args: string[]) => `${helper(c.names.namespace, name)}(${args.join(', ')})`;
  const $s = c.names.state;
  const $e = c.names.error;
  const enter = `const ${$s} = ${call('enter', siteName, ...enterArguments(c, fn, site))};`;
  const handlers = `catch (${$e}) { ${call('fail', $s, $e)}; throw ${$e}; } finally { ${call('exit', $s)}; }`;

  if (ts.isBlock(body)) {
    const depth = depthOf(body);
    const directives = body.statements.filter((s, i) => body.statements.slice(0, i + 1).every((d) => isDirective(ts, d)));
    const last = directives.at(-1);
    const openAt = last ? last.end : body.getStart(file) + 1;
    const opener = `${last && !endsWithSemicolon(file, last) ? ';' : ''} ${enter} try {`;
    const closeAt = body.end - 1;
    if (openAt === closeAt) edits.open(openAt, `${opener} } ${handlers} `, depth);
    else {
      edits.open(openAt, opener, depth);
      edits.close(closeAt, ` } ${handlers} `, depth);
    }
  } else {
    const depth = depthOf(fn);
    edits.open(body.getStart(file), `{ ${enter} try { return ${helper(c.names.namespace, 'ret')}(${$s}, `, depth);
    edits.close(body.end, `); } ${handlers} }`, depth);
  }
  editBody(c, site, body);
}

/** Returns, suspensions and handlers of the body itself. */
function editBody(c: TextContext, site: Site, body: ts.ConciseBody): void {
  const { ts, file, edits } = c;
  const ns = c.names.namespace;
  const $s = c.names.state;
  const suspends = site.kind !== SiteKind.sync;
  const returnHelper = site.kind === SiteKind.asyncGenerator ? 'leave' : site.kind === SiteKind.generator ? undefined : 'ret';
  const back = ` ${helper(ns, 'back')}(${$s});`;
  const wrap = (node: ts.Node, depth: number, name: HelperName, before = '') => {
    edits.open(node.getStart(file), `${before}${helper(ns, name)}(${$s}, `, depth);
    edits.close(node.end, ')', depth);
  };

  forEachOwnNode(ts, body, (node) => {
    if (ts.isReturnStatement(node) && node.expression && returnHelper) {
      wrap(node.expression, depthOf(node), returnHelper);
    }
    if (!suspends) return;
    if (ts.isAwaitExpression(node)) {
      const depth = depthOf(node);
      edits.open(node.getStart(file), `${helper(ns, 'back')}(${$s}, `, depth);
      wrap(node.expression, depth, 'leave');
      edits.close(node.end, ')', depth);
    } else if (ts.isYieldExpression(node)) {
      const depth = depthOf(node);
      edits.open(node.getStart(file), `${helper(ns, 'back')}(${$s}, `, depth);
      if (node.expression) wrap(node.expression, depth, node.asteriskToken ? 'iter' : 'leave');
      else edits.close(node.end, ` ${helper(ns, 'leave')}(${$s}, void 0)`, depth);
      edits.close(node.end, ')', depth);
    } else if (ts.isForOfStatement(node) && node.awaitModifier) {
      editForAwait(c, node, back);
    } else if (ts.isTryStatement(node)) {
      for (const block of [node.catchClause?.block, node.finallyBlock]) {
        if (block) edits.open(block.getStart(file) + 1, back, depthOf(block));
      }
    }
  });
}

/** The loop's iterable goes through `iter`; its body and the statement after it start with `back`. */
function editForAwait(c: TextContext, loop: ts.ForOfStatement, back: string): void {
  const { ts, file, edits } = c;
  let statement: ts.Statement = loop;
  while (ts.isLabeledStatement(statement.parent)) statement = statement.parent;
  // Between the loop's depth and its children's: inside what the loop's statement opens, around what its parts open.
  const depth = depthOf(loop) + 0.5;
  edits.open(loop.expression.getStart(file), `${helper(c.names.namespace, 'iter')}(${c.names.state}, `, depth);
  edits.close(loop.expression.end, ')', depth);
  const body = loop.statement;
  if (ts.isBlock(body)) edits.open(body.getStart(file) + 1, back, depth);
  else {
    edits.open(body.getStart(file), `{${back} `, depth);
    edits.close(body.end, ' }', depth);
  }
  const outer = depthOf(statement);
  if (jumpsOutOf(ts, statement, loop)) {
    edits.open(statement.getStart(file), 'try { ', outer);
    edits.close(statement.end, ` } finally {${back} }`, outer);
  } else {
    edits.open(statement.getStart(file), '{ ', outer);
    edits.close(statement.end, `${back} }`, outer);
  }
}

/** `[]`, `[arguments]`, or in an arrow `[[a, b, ...rest]]`: what `enter` gets besides the site. */
function enterArguments(c: TextContext, fn: ts.FunctionLikeDeclaration, site: Site): string[] {
  const { ts } = c;
  if (!site.needsArguments) return [];
  if (!ts.isArrowFunction(fn)) return ['arguments'];
  const values = fn.parameters.map((p, index) => {
    if (!ts.isIdentifier(p.name)) throw tracedError('TT3003', { index });
    return `${p.dotDotDotToken ? '...' : ''}${p.name.text}`;
  });
  return [`[${values.join(', ')}]`];
}

function endsWithSemicolon(file: ts.SourceFile, statement: ts.Statement): boolean {
  return file.text[statement.end - 1] === ';';
}
