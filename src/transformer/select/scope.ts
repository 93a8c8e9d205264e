/**
 * Which names an expression takes from scopes other than the module's. The `@traced({ onStart })` options
 * are hoisted and evaluated once at module load, so they may refer to module-scope bindings and globals
 * only; a parameter, a local or `this` of an enclosing function would not exist there.
 */
import type * as ts from 'typescript';

type TS = typeof import('typescript');

/** Names bound by a binding name: `a`, `{ a, b: [c] }` → a, c. */
function boundNames(ts: TS, name: ts.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) into.add(name.text);
  else for (const element of name.elements) if (!ts.isOmittedExpression(element)) boundNames(ts, element.name, into);
}

/** Names a declaration node introduces (parameters, variables, functions, classes, enums, namespaces, imports). */
function declaredBy(ts: TS, node: ts.Node, into: Set<string>): void {
  if (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node)) {
    if (!ts.isBindingElement(node)) boundNames(ts, node.name, into);
  } else if (
    (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node)) &&
    node.name
  )
    into.add(node.name.text);
  else if (ts.isModuleDeclaration(node) && ts.isIdentifier(node.name)) into.add(node.name.text);
  else if (ts.isImportEqualsDeclaration(node)) into.add(node.name.text);
}

/** Every name declared inside `root`, not descending into nested functions unless `deep`. */
function declaredWithin(ts: TS, root: ts.Node, deep: boolean, into = new Set<string>()): Set<string> {
  const visit = (node: ts.Node): void => {
    declaredBy(ts, node, into);
    if (!deep && node !== root && ts.isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
  };
  visit(root);
  return into;
}

/** Names bound by one enclosing scope (an over-approximation: block scoping inside a function is ignored). */
function scopeNames(ts: TS, scope: ts.Node): Set<string> {
  const names = new Set<string>();
  if (ts.isFunctionLike(scope)) {
    for (const parameter of scope.parameters) boundNames(ts, parameter.name, names);
    if (ts.isFunctionExpression(scope) && scope.name) names.add(scope.name.text);
    const body = 'body' in scope ? scope.body : undefined;
    if (body) declaredWithin(ts, body, false, names);
  } else if (ts.isClassLike(scope)) {
    // A top-level class's name is a module binding too; a nested class's inner name is not.
    if (scope.name && !ts.isSourceFile(scope.parent)) names.add(scope.name.text);
  } else if (ts.isBlock(scope) || ts.isModuleBlock(scope) || ts.isCaseBlock(scope) || ts.isCatchClause(scope)) {
    declaredWithin(ts, scope, false, names);
  } else if (ts.isForStatement(scope) || ts.isForInStatement(scope) || ts.isForOfStatement(scope)) {
    if (scope.initializer) declaredWithin(ts, scope.initializer, false, names);
  }
  return names;
}

/** Is this identifier read as a value (not a property name, a declaration's name, a label or part of a type)? */
function isReference(ts: TS, id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.expression === id;
  if (ts.isShorthandPropertyAssignment(parent)) return true;
  if (ts.isBindingElement(parent)) return false;
  if ('name' in parent && (parent as { name?: ts.Node }).name === id) return false;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  return !ts.findAncestor(parent, ts.isTypeNode);
}

/**
 * Names (and `this`) that `expression` reads from a scope between it and the module: the free names that a
 * function, block, namespace or nested class around it declares. Globals and module bindings are fine.
 */
export function nonModuleReferences(ts: TS, expression: ts.Expression): string[] {
  const own = declaredWithin(ts, expression, true);
  const free = new Set<string>();
  const visit = (node: ts.Node, ownThis: boolean): void => {
    if (ts.isIdentifier(node) && isReference(ts, node)) {
      const isArguments = node.text === 'arguments';
      if (isArguments ? !ownThis : !own.has(node.text)) free.add(node.text);
    }
    if (node.kind === ts.SyntaxKind.ThisKeyword || node.kind === ts.SyntaxKind.SuperKeyword) {
      if (!ownThis) free.add(node.kind === ts.SyntaxKind.ThisKeyword ? 'this' : 'super');
    }
    if (ts.isTypeNode(node)) return;
    const binds = ts.isFunctionLike(node) && !ts.isArrowFunction(node);
    ts.forEachChild(node, (child) => visit(child, ownThis || binds));
  };
  visit(expression, false);

  const local = new Set<string>();
  for (let scope = expression.parent; scope && !ts.isSourceFile(scope); scope = scope.parent) {
    // A decorator is evaluated outside the declaration it decorates: skip that declaration's own scope.
    if (ts.isDecorator(scope)) scope = scope.parent;
    else {
      const names = scopeNames(ts, scope);
      for (const name of free) if (names.has(name)) local.add(name);
    }
  }
  for (const name of ['this', 'super', 'arguments']) if (free.has(name)) local.add(name);
  return [...free].filter((name) => local.has(name));
}
