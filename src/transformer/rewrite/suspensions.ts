/**
 * Suspension points of async functions and generators. Before the body suspends, the context of whoever
 * resumed it is handed back (`leave`); when it resumes, the span is made active again (`back`). Both return
 * their argument untouched, so no microtask tick is added.
 *
 * @example
 *   await x                      →  __traced.v1.back($s, await __traced.v1.leave($s, x))
 *   yield x                      →  __traced.v1.back($s, yield __traced.v1.leave($s, x))
 *   yield                        →  __traced.v1.back($s, yield __traced.v1.leave($s, void 0))
 *   yield* x                     →  __traced.v1.back($s, yield* __traced.v1.iter($s, x))
 *   for await (const v of x) S   →  { for await (const v of __traced.v1.iter($s, x)) { __traced.v1.back($s); S }
 *                                     __traced.v1.back($s); }
 *   catch (e) { B }              →  catch (e) { __traced.v1.back($s); B }     // entered after a rejected await,
 *   finally { F }                →  finally { __traced.v1.back($s); F }       // or generator return()/throw()
 *
 * A `for await` whose body jumps to a label outside the loop (`break outer`) skips the statement after the
 * loop, so that loop gets `try { loop } finally { __traced.v1.back($s); }` instead. Labels stay on the loop
 * itself, so `continue label` keeps working. The visitor stops at nested functions and classes, except for the
 * parts of them that run in this body (see boundary.ts).
 */
import type * as ts from 'typescript';
import { HELPER } from '../../contract';
import { tracedError } from '../diagnostics';
import type { FileContext } from '../context';
import { forEachOwnNode, isBoundary, visitOutsideParts } from './boundary';
import { afterToken, like, withoutLeadingComments } from './preserve';

type TS = typeof import('typescript');

interface Counts {
  awaits: number;
  yields: number;
  loops: number;
  handlers: number;
}

export function rewriteSuspensions<T extends ts.Node>(c: FileContext, nodes: readonly T[], original: ts.Node): T[] {
  const { ts, factory, runtime } = c;
  const done: Counts = { awaits: 0, yields: 0, loops: 0, handlers: 0 };
  const back = () => factory.createExpressionStatement(runtime.call(HELPER.back, [c.state()]));
  const withBack = (block: ts.Block) => factory.updateBlock(block, [back(), ...block.statements]);

  const visit = (node: ts.Node): ts.VisitResult<ts.Node> => {
    if (isBoundary(ts, node)) return visitOutsideParts(ts, node, visit, c.transformation);
    if (ts.isAwaitExpression(node)) {
      done.awaits++;
      const operand = afterToken(ts, c.sourceFile, node.expression.pos, visitExpression(node.expression));
      // The wrapper carries the await's comments; the await inside must not print them again.
      const left = runtime.call(HELPER.leave, [c.state(), operand]);
      const awaited = withoutLeadingComments(ts, factory.updateAwaitExpression(node, left));
      return like(ts, runtime.call(HELPER.back, [c.state(), awaited]), node);
    }
    if (ts.isYieldExpression(node)) {
      done.yields++;
      const operand = node.expression
        ? afterToken(ts, c.sourceFile, node.expression.pos, visitExpression(node.expression))
        : factory.createVoidZero();
      const left = runtime.call(node.asteriskToken ? HELPER.iter : HELPER.leave, [c.state(), operand]);
      const yielded = withoutLeadingComments(ts, factory.updateYieldExpression(node, node.asteriskToken, left));
      return like(ts, runtime.call(HELPER.back, [c.state(), yielded]), node);
    }
    const loop = forAwaitIn(ts, node);
    if (loop) return rewriteForAwait(node as ts.Statement, loop);
    if (ts.isTryStatement(node)) {
      const tryBlock = ts.visitNode(node.tryBlock, visit, ts.isBlock);
      const clause = node.catchClause && ts.visitNode(node.catchClause, visit, ts.isCatchClause);
      const finallyBlock = node.finallyBlock && ts.visitNode(node.finallyBlock, visit, ts.isBlock);
      if (clause) done.handlers++;
      if (finallyBlock) done.handlers++;
      return factory.updateTryStatement(
        node,
        tryBlock,
        clause && factory.updateCatchClause(clause, clause.variableDeclaration, withBack(clause.block)),
        finallyBlock && withBack(finallyBlock),
      );
    }
    return ts.visitEachChild(node, visit, c.transformation);
  };
  const visitExpression = (node: ts.Expression) => ts.visitNode(node, visit, ts.isExpression);

  /** `statement` is the loop or the labels around it; the labels stay on the loop. */
  const rewriteForAwait = (statement: ts.Statement, loop: ts.ForOfStatement): ts.Statement => {
    done.loops++;
    const body = ts.visitNode(loop.statement, visit, ts.isStatement);
    const rewritten = factory.updateForOfStatement(
      loop,
      loop.awaitModifier,
      ts.visitNode(loop.initializer, visit, ts.isForInitializer),
      runtime.call(HELPER.iter, [c.state(), ts.visitNode(loop.expression, visit, ts.isExpression)]),
      ts.isBlock(body) ? withBack(body) : factory.createBlock([back(), body], true),
    );
    const labelled = relabel(ts, factory, statement, rewritten);
    if (jumpsOutOf(ts, statement, loop)) {
      const inside = factory.createBlock([labelled], true);
      return like(ts, factory.createTryStatement(inside, undefined, factory.createBlock([back()], true)), statement);
    }
    return like(ts, factory.createBlock([labelled, back()], true), statement);
  };

  const result = nodes.map((node) => ts.visitNode(node, visit) as T);
  const expected = countSuspensions(ts, original);
  for (const key of Object.keys(expected) as (keyof Counts)[]) {
    if (done[key] !== expected[key]) {
      throw tracedError('TT9001', { what: key, expected: expected[key], actual: done[key] });
    }
  }
  return result;
}

/** The `for await` loop that `node` is, directly or under labels. */
function forAwaitIn(ts: TS, node: ts.Node): ts.ForOfStatement | undefined {
  let inner = node;
  while (ts.isLabeledStatement(inner)) inner = inner.statement;
  return ts.isForOfStatement(inner) && inner.awaitModifier ? inner : undefined;
}

/** The labels of `statement` (a labelled loop or the loop itself), put back around `loop`. */
function relabel(ts: TS, factory: ts.NodeFactory, statement: ts.Statement, loop: ts.Statement): ts.Statement {
  if (!ts.isLabeledStatement(statement)) return loop;
  return factory.updateLabeledStatement(statement, statement.label, relabel(ts, factory, statement.statement, loop));
}

/**
 * Does `loop` (or `statement`, the labels around it) hold a `break label` / `continue label` to a label declared
 * outside of `statement`? Such a jump leaves the loop without running the statement after it.
 */
export function jumpsOutOf(ts: TS, statement: ts.Statement, loop: ts.ForOfStatement): boolean {
  const inside = new Set<string>();
  for (let s: ts.Statement = statement; ts.isLabeledStatement(s); s = s.statement) inside.add(s.label.text);
  const jumps: string[] = [];
  forEachOwnNode(ts, loop.statement, (node) => {
    if (ts.isLabeledStatement(node)) inside.add(node.label.text);
    if ((ts.isBreakStatement(node) || ts.isContinueStatement(node)) && node.label) jumps.push(node.label.text);
  });
  return jumps.some((label) => !inside.has(label));
}

/** What the visitor must find in `body`, counted on the parse tree. */
function countSuspensions(ts: TS, body: ts.Node): Counts {
  const n: Counts = { awaits: 0, yields: 0, loops: 0, handlers: 0 };
  forEachOwnNode(ts, body, (node) => {
    if (ts.isAwaitExpression(node)) n.awaits++;
    else if (ts.isYieldExpression(node)) n.yields++;
    else if (ts.isForOfStatement(node) && node.awaitModifier) n.loops++;
    else if (ts.isTryStatement(node)) n.handlers += (node.catchClause ? 1 : 0) + (node.finallyBlock ? 1 : 0);
  });
  return n;
}
