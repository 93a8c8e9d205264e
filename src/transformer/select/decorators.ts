/**
 * `@traced` / `@untraced` decorators of ts-traced, recognised by their import: `import { traced } from
 * 'ts-traced'`, an alias (`import { traced as t }`) or a namespace (`import * as tt from 'ts-traced'` →
 * `@tt.traced`). A decorator of the same name from elsewhere is not ours and is left alone. The syntax is the
 * same with `experimentalDecorators` and with standard decorators, so both are read the same way.
 */
import type * as ts from 'typescript';

/** The package users import the decorators from. */
export const PACKAGE = 'ts-traced';

export type MarkerName = 'traced' | 'untraced';
const MARKERS: readonly string[] = ['traced', 'untraced'] satisfies MarkerName[];

/** Local names under which this file can refer to ts-traced's decorators. */
export interface MarkerImports {
  /** Local name → which marker (`t` → `traced` for `import { traced as t }`). */
  readonly named: ReadonlyMap<string, MarkerName>;
  /** Namespace or default imports of the package (`tt` for `import * as tt`). */
  readonly namespaces: ReadonlySet<string>;
}

export function collectMarkerImports(ts: typeof import('typescript'), file: ts.SourceFile): MarkerImports {
  const named = new Map<string, MarkerName>();
  const namespaces = new Set<string>();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const clause = statement.importClause;
    if (statement.moduleSpecifier.text !== PACKAGE || !clause || clause.isTypeOnly) continue;
    if (clause.name) namespaces.add(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings))
      for (const element of bindings.elements) {
        const imported = (element.propertyName ?? element.name).text;
        if (!element.isTypeOnly && MARKERS.includes(imported)) named.set(element.name.text, imported as MarkerName);
      }
  }
  return { named, namespaces };
}

/** One of our decorators on a declaration: which marker, and the options argument if any. */
export interface DecoratorMarker {
  readonly marker: MarkerName;
  readonly decorator: ts.Decorator;
  /** `@traced(x)` → `x`; `@traced` and `@traced()` → undefined. */
  readonly options?: ts.Expression;
}

function markerOfCallee(ts: typeof import('typescript'), callee: ts.Expression, imports: MarkerImports) {
  if (ts.isIdentifier(callee)) return imports.named.get(callee.text);
  if (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    imports.namespaces.has(callee.expression.text) &&
    MARKERS.includes(callee.name.text)
  )
    return callee.name.text as MarkerName;
  return undefined;
}

/** ts-traced's decorators among the node's decorators, in source order. */
export function decoratorMarkersOf(
  ts: typeof import('typescript'),
  node: ts.Node,
  imports: MarkerImports,
): DecoratorMarker[] {
  if (!ts.canHaveDecorators(node)) return [];
  const found: DecoratorMarker[] = [];
  for (const decorator of ts.getDecorators(node) ?? []) {
    const expression = decorator.expression;
    const call = ts.isCallExpression(expression) ? expression : undefined;
    const marker = markerOfCallee(ts, call ? call.expression : expression, imports);
    if (marker) found.push({ marker, decorator, options: call?.arguments[0] });
  }
  return found;
}
