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

/** TT2008: a value that must be written as a literal is not. */
function notLiteral(problems: Problem[], node: ts.Node, what: string, expected: string): void {
  problems.push({ node, error: tracedError('TT2008', { what, expected }) });
}

/** The key of an object-literal member written as a name or a string; undefined for computed keys and spreads. */
function keyOf(ts: TS, property: ts.ObjectLiteralElementLike): string | undefined {
  const name = property.name;
  return name && (ts.isIdentifier(name) || ts.isStringLiteralLike(name)) ? name.text : undefined;
}

function bindsName(ts: TS, name: ts.BindingName, text: string): boolean {
  if (ts.isIdentifier(name)) return name.text === text;
  return name.elements.some((e) => !ts.isOmittedExpression(e) && bindsName(ts, e.name, text));
}

/** Resolves `args` names to parameter positions (a TypeScript `this` parameter takes no position). */
function resolveArgs(ts: TS, fn: FunctionNode, list: ts.ArrayLiteralExpression, problems: Problem[]) {
  const params = fn.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'));
  const plain = params.flatMap((p) => (ts.isIdentifier(p.name) && !p.dotDotDotToken ? [p.name.text] : []));
  const args: { name: string; index: number }[] = [];
  for (const element of list.elements) {
    const e = unwrap(ts, element);
    if (!ts.isStringLiteralLike(e)) {
      notLiteral(problems, element, 'each name in "args"', 'a string literal');
      continue;
    }
    const name = e.text;
    const index = params.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === name);
    const param = params[index];
    let error;
    if (param?.dotDotDotToken) error = tracedError('TT2007', { name, form: 'a rest parameter' });
    else if (param) {
      if (!args.some((a) => a.name === name)) args.push({ name, index });
    }
    else if (params.some((p) => !ts.isIdentifier(p.name) && bindsName(ts, p.name, name)))
      error = tracedError('TT2007', { name, form: 'inside a destructured parameter' });
    else error = tracedError('TT2006', { name, params: plain });
    if (error) problems.push({ node: e, error });
  }
  return args;
}

function readTags(ts: TS, value: ts.Expression, problems: Problem[]): Record<string, TagValue> | undefined {
  const obj = unwrap(ts, value);
  if (!ts.isObjectLiteralExpression(obj)) {
    notLiteral(problems, value, '@traced option "tags"', 'an object literal');
    return undefined;
  }
  const tags: Record<string, TagValue> = {};
  for (const property of obj.properties) {
    const key = keyOf(ts, property);
    const literal = ts.isPropertyAssignment(property) ? literalOf(ts, property.initializer) : undefined;
    if (key !== undefined && literal !== undefined) tags[key] = literal;
    else notLiteral(problems, property, `tag ${key ? `"${key}"` : '(this entry)'}`, 'a string, number or boolean literal');
  }
  return tags;
}

type MutableOptions = { -readonly [K in keyof DecoratorOptions]: DecoratorOptions[K] };

/** Reads one literal option (`name`, `tags`, `args`, `requireActiveTrace`) into `options`. */
function readOption(
  ts: TS,
  key: OptionName,
  property: ts.ObjectLiteralElementLike,
  fn: FunctionNode,
  options: MutableOptions,
  problems: Problem[],
): void {
  const value = ts.isPropertyAssignment(property) ? property.initializer : undefined;
  const what = `@traced option "${key}"`;
  if (key === 'tags') {
    options.tags = value && readTags(ts, value, problems);
    if (!value) notLiteral(problems, property, what, 'an object literal');
  } else if (key === 'args') {
    const list = value && unwrap(ts, value);
    if (list && ts.isArrayLiteralExpression(list)) options.args = resolveArgs(ts, fn, list, problems);
    else notLiteral(problems, property, what, 'an array of string literals');
  } else {
    const literal = value && literalOf(ts, value);
    const expected = key === 'name' ? 'string' : 'boolean';
    if (typeof literal !== expected) notLiteral(problems, property, what, `a ${expected} literal`);
    else if (key === 'name') options.name = literal as string;
    else options.requireActiveTrace = literal as boolean;
  }
}

/** The options of one `@traced(...)` for the function `fn`; problems found in them are added to `problems`. */
export function readDecoratorOptions(
  ts: TS,
  expression: ts.Expression | undefined,
  fn: FunctionNode,
  problems: Problem[],
): DecoratorOptions {
  if (!expression) return {};
  const obj = unwrap(ts, expression);
  if (!ts.isObjectLiteralExpression(obj)) {
    notLiteral(problems, expression, '@traced options', 'an object literal');
    return {};
  }
  const options: MutableOptions = {};
  for (const property of obj.properties) {
    const key = keyOf(ts, property);
    if (key === undefined || ts.isSpreadAssignment(property))
      notLiteral(problems, property, 'each @traced option', 'a named property');
    else if (!OPTION_NAMES.includes(key as OptionName))
      problems.push({ node: property.name!, error: tracedError('TT2009', { option: key, known: OPTION_NAMES }) });
    else if (key === 'onStart') options.dynamic = expression;
    else readOption(ts, key as OptionName, property, fn, options, problems);
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
