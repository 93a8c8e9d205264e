/**
 * Reads `@traced({ name, tags, args, requireActiveTrace, onStart })` at compile time. Everything but `onStart`
 * must be a literal written in place; `onStart` makes the whole options object a run-time value passed to
 * `site(record, dynamic)`, so it may refer to module-scope bindings only.
 */
import type * as ts from 'typescript';
import type { TagValue } from '../../contract';
import { tracedError } from '../diagnostics';
import type { FunctionNode } from './kinds';
import { nonModuleReferences } from './scope';
import type { Problem } from './site';

type TS = typeof import('typescript');

export interface DecoratorOptions {
  readonly name?: string;
  readonly tags?: Readonly<Record<string, TagValue>>;
  readonly args?: readonly { readonly name: string; readonly index: number }[];
  readonly requireActiveTrace?: boolean;
  /** The options expression, when `onStart` makes it a run-time value. */
  readonly dynamic?: ts.Expression;
}

const OPTION_NAMES = ['name', 'tags', 'args', 'requireActiveTrace', 'onStart'] as const;
type OptionName = (typeof OPTION_NAMES)[number];

/** `x`, `(x)`, `x as const`, `x satisfies T` → `x`. */
function unwrap(ts: TS, expression: ts.Expression): ts.Expression {
  let current = expression;
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current))
    current = current.expression;
  return current;
}

function literalOf(ts: TS, node: ts.Expression): TagValue | undefined {
  const e = unwrap(ts, node);
  if (ts.isStringLiteralLike(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand))
    return -Number(e.operand.text);
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  return undefined;
}

/** Resolves `args` names to parameter positions (a TypeScript `this` parameter takes no position). */
function resolveArgs(ts: TS, fn: FunctionNode, list: ts.ArrayLiteralExpression, problems: Problem[]) {
  const params = fn.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'));
  const plain = params.flatMap((p) => (ts.isIdentifier(p.name) && !p.dotDotDotToken ? [p.name.text] : []));
  const args: { name: string; index: number }[] = [];
  for (const element of list.elements) {
    const e = unwrap(ts, element);
    if (!ts.isStringLiteralLike(e)) {
      problems.push({ node: element, error: tracedError('TT2008', { what: 'each name in "args"', expected: 'a string literal' }) });
      continue;
    }
    const index = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === e.text);
    const param = params[index];
    if (param && !param.dotDotDotToken) {
      if (!args.some((a) => a.name === e.text)) args.push({ name: e.text, index });
    } else if (param) {
      problems.push({ node: e, error: tracedError('TT2007', { name: e.text, form: 'a rest parameter' }) });
    } else if (params.some((p) => !ts.isIdentifier(p.name) && bindsName(ts, p.name, e.text))) {
      problems.push({ node: e, error: tracedError('TT2007', { name: e.text, form: 'inside a destructured parameter' }) });
    } else problems.push({ node: e, error: tracedError('TT2006', { name: e.text, params: plain }) });
  }
  return args;
}

function bindsName(ts: TS, name: ts.BindingName, text: string): boolean {
  if (ts.isIdentifier(name)) return name.text === text;
  return name.elements.some((e) => !ts.isOmittedExpression(e) && bindsName(ts, e.name, text));
}

function readTags(ts: TS, value: ts.Expression, problems: Problem[]): Record<string, TagValue> | undefined {
  const obj = unwrap(ts, value);
  const notLiteral = (node: ts.Node, what: string) =>
    problems.push({ node, error: tracedError('TT2008', { what, expected: 'a string, number or boolean literal' }) });
  if (!ts.isObjectLiteralExpression(obj)) {
    problems.push({ node: value, error: tracedError('TT2008', { what: '@traced option "tags"', expected: 'an object literal' }) });
    return undefined;
  }
  const tags: Record<string, TagValue> = {};
  for (const property of obj.properties) {
    const key = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name)) ? property.name.text : undefined;
    const literal = ts.isPropertyAssignment(property) ? literalOf(ts, property.initializer) : undefined;
    if (key === undefined || literal === undefined) notLiteral(property, `tag ${key ? `"${key}"` : '(this entry)'}`);
    else tags[key] = literal;
  }
  return tags;
}

/** The options of one `@traced(...)` for the function `fn`, with the problems found in them. */
export function readDecoratorOptions(
  ts: TS,
  expression: ts.Expression | undefined,
  fn: FunctionNode,
  problems: Problem[],
): DecoratorOptions {
  if (!expression) return {};
  const obj = unwrap(ts, expression);
  if (!ts.isObjectLiteralExpression(obj)) {
    problems.push({ node: expression, error: tracedError('TT2008', { what: '@traced options', expected: 'an object literal' }) });
    return {};
  }
  const options: { -readonly [K in keyof DecoratorOptions]: DecoratorOptions[K] } = {};
  for (const property of obj.properties) {
    const key = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name)) ? property.name.text : undefined;
    if (key === undefined || ts.isSpreadAssignment(property)) {
      problems.push({ node: property, error: tracedError('TT2008', { what: 'each @traced option', expected: 'a named property' }) });
      continue;
    }
    if (!OPTION_NAMES.includes(key as OptionName)) {
      problems.push({ node: property.name!, error: tracedError('TT2009', { option: key, known: OPTION_NAMES }) });
      continue;
    }
    if (key === 'onStart') {
      options.dynamic = expression;
      continue;
    }
    const value = ts.isPropertyAssignment(property) ? property.initializer : undefined;
    const what = `@traced option "${key}"`;
    if (key === 'tags') options.tags = value && readTags(ts, value, problems);
    else if (key === 'args') {
      const list = value && unwrap(ts, value);
      if (list && ts.isArrayLiteralExpression(list)) options.args = resolveArgs(ts, fn, list, problems);
      else problems.push({ node: property, error: tracedError('TT2008', { what, expected: 'an array of string literals' }) });
    } else {
      const literal = value && literalOf(ts, value);
      const expected = key === 'name' ? 'string' : 'boolean';
      if (typeof literal !== expected)
        problems.push({ node: property, error: tracedError('TT2008', { what, expected: `a ${expected} literal` }) });
      else if (key === 'name') options.name = literal as string;
      else options.requireActiveTrace = literal as boolean;
    }
  }
  if (options.dynamic) {
    const names = nonModuleReferences(ts, options.dynamic);
    if (names.length) {
      problems.push({ node: options.dynamic, error: tracedError('TT2010', { names }) });
      options.dynamic = undefined;
    }
  }
  return options;
}
