/**
 * `/** @traced *\/`, `/** @traced span.name *\/` and `/** @untraced *\/` in the JSDoc before a function, or
 * before the declaration holding it (`const f = () =>`, a class property, an object property, `x.y = function`,
 * `export default`). The comment text is read directly rather than through the parsed JSDoc, because tsc
 * (TypeScript 5.3+) skips parsing JSDoc in .ts files (`JSDocParsingMode.ParseForTypeErrors`).
 */
import type * as ts from 'typescript';
import type { MarkerName } from './decorators';
import type { FunctionNode } from './kinds';
import { outerExpression } from './naming';

type TS = typeof import('typescript');

export interface JsDocMarker {
  readonly marker: MarkerName;
  /** `/** @traced orders.place *\/` → `orders.place`: the rest of the tag's line. */
  readonly name?: string;
  /** The node the comment sits before (for diagnostics). */
  readonly host: ts.Node;
}

const TAG = /(?:^|[\s*])@(traced|untraced)(?![\w$-])[ \t]*([^\r\n]*)/;

/** The marker in a JSDoc comment's text, if any. */
export function parseJsDocMarker(comment: string): { marker: MarkerName; name?: string } | undefined {
  const match = TAG.exec(comment.slice(3, -2));
  if (!match) return undefined;
  const name = match[2]!.replace(/\*+\s*$/, '').trim();
  return { marker: match[1] as MarkerName, name: name || undefined };
}

/** The marker in the last JSDoc comment before `node` (before its decorators, or between them and the name). */
export function jsDocMarkerOf(ts: TS, node: ts.Node, file: ts.SourceFile): JsDocMarker | undefined {
  const positions = [node.pos];
  const decorators = ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined;
  if (decorators?.length) positions.push(decorators[decorators.length - 1]!.end);
  for (const pos of positions.reverse()) {
    // A comment on the line of the previous token counts as that token's trailing comment: take both kinds.
    const comments = [
      ...(ts.getTrailingCommentRanges(file.text, pos) ?? []),
      ...(ts.getLeadingCommentRanges(file.text, pos) ?? []),
    ];
    const docs = comments
      .map((c) => file.text.slice(c.pos, c.end))
      .filter((text) => text.startsWith('/**') && text !== '/**/');
    const last = docs[docs.length - 1];
    if (last !== undefined) {
      const found = parseJsDocMarker(last);
      return found && { ...found, host: node };
    }
  }
  return undefined;
}

/** The function value a declaration holds: `const f = () =>` (single declaration), `p = function`, `x.y = () =>`. */
export function heldFunction(ts: TS, holder: ts.Node): FunctionNode | undefined {
  let value: ts.Expression | undefined;
  if (ts.isVariableStatement(holder)) {
    const declarations = holder.declarationList.declarations;
    value = declarations.length === 1 ? declarations[0]!.initializer : undefined;
  }
  else if (ts.isVariableDeclaration(holder) || ts.isPropertyDeclaration(holder) || ts.isPropertyAssignment(holder))
    value = holder.initializer;
  else if (ts.isExpressionStatement(holder) && ts.isBinaryExpression(holder.expression))
    value = holder.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken ? holder.expression.right : undefined;
  else if (ts.isExportAssignment(holder)) value = holder.expression;
  while (value && (ts.isParenthesizedExpression(value) || ts.isAsExpression(value) || ts.isSatisfiesExpression(value)))
    value = value.expression;
  return value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) ? value : undefined;
}

/**
 * The nodes whose JSDoc and decorators apply to `fn`, innermost first: the function itself, then for a function
 * value the expression around it and the declarations holding it.
 */
export function hostsOf(ts: TS, fn: FunctionNode): ts.Node[] {
  const hosts: ts.Node[] = [fn];
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return hosts;
  const outer = outerExpression(ts, fn);
  if (outer !== fn) hosts.push(outer);
  const holder = outer.parent;
  if (ts.isVariableDeclaration(holder) && holder.initializer === outer) {
    hosts.push(holder);
    const statement = holder.parent.parent;
    if (ts.isVariableStatement(statement) && heldFunction(ts, statement) === fn) hosts.push(statement);
  } else if (ts.isBinaryExpression(holder) && ts.isExpressionStatement(holder.parent)) {
    if (heldFunction(ts, holder.parent) === fn) hosts.push(holder.parent);
  } else if (heldFunction(ts, holder) === fn) hosts.push(holder);
  return hosts;
}

/** The JSDoc markers that apply to `fn`, innermost host first (a `/** @traced name *\/` nearest the function wins). */
export function jsDocMarkersOfFunction(ts: TS, fn: FunctionNode, file: ts.SourceFile): JsDocMarker[] {
  return hostsOf(ts, fn).flatMap((host) => jsDocMarkerOf(ts, host, file) ?? []);
}
