/**
 * The span name of a function, from the syntax around it:
 * `Class.method`, `Class.#private`, `get Class.prop`, `fn`, `const f = () =>` → `f`, `obj.method`,
 * class-field arrows `Class.handler`, and `<anonymous>:12` when nothing names it. `fn` is the bare name
 * (`code.function`), `ns` the class or object (`code.namespace`).
 */
import type * as ts from 'typescript';
import type { FunctionNode } from './kinds';

export const ANONYMOUS = '<anonymous>';
const COMPUTED = '[computed]';

export interface SiteName {
  readonly name: string;
  readonly fn: string;
  readonly ns?: string;
  /** 1-based line of the name (or of the function's start when nothing names it). */
  readonly line: number;
  /** Nothing in the source names the function (config rules skip these). */
  readonly anonymous: boolean;
}

type TS = typeof import('typescript');

/** Text of a property or member name; string literals as they are, other computed keys `[computed]`. */
export function propertyNameText(ts: TS, name: ts.PropertyName | ts.BindingName): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression)) return name.expression.text;
  return COMPUTED;
}

/** The expression a function value sits in, skipping parentheses, `as`, `satisfies`, `!` and `<T>x`. */
export function outerExpression(ts: TS, node: ts.Node): ts.Node {
  let current = node;
  while (
    ts.isParenthesizedExpression(current.parent) ||
    ts.isAsExpression(current.parent) ||
    ts.isSatisfiesExpression(current.parent) ||
    ts.isNonNullExpression(current.parent) ||
    ts.isTypeAssertionExpression(current.parent)
  )
    current = current.parent;
  return current;
}

export function className(ts: TS, cls: ts.ClassLikeDeclaration): string {
  if (cls.name) return cls.name.text;
  if (ts.getCombinedModifierFlags(cls) & ts.ModifierFlags.Default) return 'default';
  const holder = outerExpression(ts, cls).parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  return ANONYMOUS;
}

/** `api` for `const api = {…}`, `api.users` for an object nested under the key `users`; undefined otherwise. */
function objectName(ts: TS, obj: ts.ObjectLiteralExpression): string | undefined {
  const holder = outerExpression(ts, obj).parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) return holder.name.text;
  if (ts.isPropertyAssignment(holder)) {
    const outer = objectName(ts, holder.parent);
    const key = propertyNameText(ts, holder.name);
    return outer ? `${outer}.${key}` : key;
  }
  if (ts.isBinaryExpression(holder) && holder.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    return assignedName(ts, holder.left)?.fn;
  if (ts.isExportAssignment(holder)) return 'default';
  return undefined;
}

/** `x = …` → fn `x`; `obj.x = …` → fn `x`, ns `obj` (`this.x` → the enclosing class). */
function assignedName(ts: TS, target: ts.Expression): { fn: string; ns?: string; node: ts.Node } | undefined {
  if (ts.isIdentifier(target)) return { fn: target.text, node: target };
  if (!ts.isPropertyAccessExpression(target)) return undefined;
  const owner = target.expression;
  const cls = owner.kind === ts.SyntaxKind.ThisKeyword ? ts.findAncestor(owner, ts.isClassLike) : undefined;
  const ns = cls ? className(ts, cls) : ts.isIdentifier(owner) ? owner.text : undefined;
  return { fn: target.name.text, ns, node: target.name };
}

interface Naming {
  readonly fn: string;
  readonly ns?: string;
  readonly node?: ts.Node;
}

function memberNaming(ts: TS, member: ts.ClassElement | ts.ObjectLiteralElement, key: ts.PropertyName): Naming {
  const ns = ts.isClassLike(member.parent)
    ? className(ts, member.parent)
    : ts.isObjectLiteralExpression(member.parent)
      ? objectName(ts, member.parent)
      : undefined;
  return { fn: propertyNameText(ts, key), ns, node: key };
}

/** Where the name comes from: the function's own name, the member or variable it is stored in. */
function namingOf(ts: TS, fn: FunctionNode): Naming | undefined {
  if (ts.isMethodDeclaration(fn) || ts.isGetAccessorDeclaration(fn) || ts.isSetAccessorDeclaration(fn))
    return memberNaming(ts, fn, fn.name);
  if (ts.isConstructorDeclaration(fn)) return { fn: 'constructor', ns: className(ts, fn.parent), node: fn };
  if (fn.name) return { fn: fn.name.text, node: fn.name };
  if (ts.isFunctionDeclaration(fn)) return { fn: 'default', node: fn };
  const holder = outerExpression(ts, fn).parent;
  if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name))
    return { fn: holder.name.text, node: holder.name };
  if (ts.isPropertyDeclaration(holder) || ts.isPropertyAssignment(holder)) return memberNaming(ts, holder, holder.name);
  if (ts.isBinaryExpression(holder) && holder.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    return assignedName(ts, holder.left);
  if (ts.isExportAssignment(holder)) return { fn: 'default', node: holder };
  return undefined;
}

const TRIVIA = /(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*/y;

/** Start of a node after its decorators and modifiers (`export default function`: the `function` keyword). */
function startAfterModifiers(ts: TS, node: ts.Node, file: ts.SourceFile): number {
  const modifiers = ts.canHaveModifiers(node) ? node.modifiers : undefined;
  if (!modifiers?.length) return node.getStart(file);
  TRIVIA.lastIndex = modifiers.end;
  return modifiers.end + TRIVIA.exec(file.text)![0].length;
}

export function nameOf(ts: TS, fn: FunctionNode, file: ts.SourceFile): SiteName {
  const naming = namingOf(ts, fn);
  const line = file.getLineAndCharacterOfPosition(startAfterModifiers(ts, naming?.node ?? fn, file)).line + 1;
  if (!naming) return { name: `${ANONYMOUS}:${line}`, fn: ANONYMOUS, line, anonymous: true };
  const prefix = ts.isGetAccessorDeclaration(fn) ? 'get ' : ts.isSetAccessorDeclaration(fn) ? 'set ' : '';
  const full = naming.ns ? `${naming.ns}.${naming.fn}` : naming.fn;
  return { name: prefix + full, fn: naming.fn, ns: naming.ns, line, anonymous: false };
}
