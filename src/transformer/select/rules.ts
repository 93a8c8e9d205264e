/**
 * Config rules: which functions are traced without a marker. A rule applies to modules matching `include`
 * (and not `exclude`), then filters by syntactic kind, execution kind, export and name patterns. Rules select
 * named functions only: an inline callback (`items.map(x => …)`) is left alone unless marked.
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import type * as ts from 'typescript';
import type { ResolvedConfig } from '../config/types';
import { executionKindName, functionKindOf, siteKindOf, type FunctionNode } from './kinds';
import { outerExpression, type SiteName } from './naming';

type TS = typeof import('typescript');
type Matcher = (text: string) => boolean;

interface Matchers {
  readonly include: readonly [string, Matcher][];
  readonly exclude: Matcher;
  readonly functionsInclude?: readonly [string, Matcher][];
  readonly functionsExclude: readonly [string, Matcher][];
}

const compiled = new WeakMap<ResolvedConfig, Matchers>();
const pair = (glob: string): [string, Matcher] => [glob, picomatch(glob, { dot: true })];

function matchersOf(config: ResolvedConfig): Matchers {
  let m = compiled.get(config);
  if (!m) {
    m = {
      include: (config.include ?? []).map(pair),
      exclude: config.exclude.length ? picomatch([...config.exclude], { dot: true }) : () => false,
      functionsInclude: config.functions.include?.map(pair),
      functionsExclude: config.functions.exclude.map(pair),
    };
    compiled.set(config, m);
  }
  return m;
}

/** `/`-separated path of `fileName` relative to `baseDir`. */
export function relativePath(baseDir: string, fileName: string): string {
  const slash = (p: string) => p.replace(/\\/g, '/');
  return posix.relative(slash(baseDir), posix.resolve(slash(baseDir), slash(fileName)));
}

/** Indexes of the `include` globs that make rules apply to this module: none when `exclude` matches it. */
export function moduleRules(config: ResolvedConfig, fileName: string): readonly number[] {
  const path = relativePath(config.baseDir, fileName);
  const m = matchersOf(config);
  return m.exclude(path) ? [] : indexesMatching(m.include, [path]);
}

/** Local names exported by `export { a, b as c }`, `export default a` and `export = a`. */
export function exportedNames(ts: TS, file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const statement of file.statements) {
    if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression)) names.add(statement.expression.text);
    const clause = ts.isExportDeclaration(statement) && !statement.moduleSpecifier ? statement.exportClause : undefined;
    if (clause && ts.isNamedExports(clause))
      for (const element of clause.elements) names.add((element.propertyName ?? element.name).text);
  }
  return names;
}

function isExportedDeclaration(ts: TS, node: ts.Node, names: ReadonlySet<string>): boolean {
  if (!ts.isSourceFile(node.parent) && !ts.isVariableDeclarationList(node.parent)) return false;
  if (ts.isVariableDeclaration(node)) {
    const statement = node.parent.parent;
    return (
      (ts.isIdentifier(node.name) && names.has(node.name.text)) ||
      (ts.isVariableStatement(statement) &&
        ts.isSourceFile(statement.parent) &&
        isExportedDeclaration(ts, statement, names))
    );
  }
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  if (modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return true;
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && ts.isIdentifier(name) && names.has(name.text);
}

/** `exports` or `module.exports` (CommonJS-style assignments in a .ts file). */
function isExportsObject(ts: TS, e: ts.Expression): boolean {
  if (ts.isIdentifier(e)) return e.text === 'exports';
  return (
    ts.isPropertyAccessExpression(e) &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === 'module' &&
    e.name.text === 'exports'
  );
}

/** Is the value `node` (a function, class or object literal) reachable from the module's exports? */
function isExportedValue(ts: TS, node: ts.Node, names: ReadonlySet<string>): boolean {
  if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) return isExportedDeclaration(ts, node, names);
  const holder = outerExpression(ts, node).parent;
  if (ts.isVariableDeclaration(holder)) return isExportedDeclaration(ts, holder, names);
  if (ts.isExportAssignment(holder)) return true;
  if (ts.isPropertyAssignment(holder)) return isExportedValue(ts, holder.parent, names);
  if (ts.isPropertyDeclaration(holder)) return isExportedValue(ts, holder.parent, names);
  if (!ts.isBinaryExpression(holder) || holder.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const target = holder.left;
  return (
    isExportsObject(ts, target) || (ts.isPropertyAccessExpression(target) && isExportsObject(ts, target.expression))
  );
}

/** Exported function, method (or accessor) of an exported class, or method of an exported object. */
export function isExported(ts: TS, fn: FunctionNode, names: ReadonlySet<string>): boolean {
  const member = ts.isClassLike(fn.parent) || ts.isObjectLiteralExpression(fn.parent);
  return isExportedValue(ts, member ? fn.parent : fn, names);
}

/** `patterns`: indexes of the `functions.include` patterns the function's names match, selected or not. */
export type RuleVerdict = { readonly patterns: readonly number[] } & (
  | { readonly selected: true; readonly rule: string }
  | { readonly selected: false; readonly reason: string }
);

function indexesMatching(patterns: readonly [string, Matcher][], texts: readonly string[]): number[] {
  return patterns.flatMap(([, matches], i) => (texts.some((text) => matches(text)) ? [i] : []));
}

const matching = (patterns: readonly [string, Matcher][], texts: readonly string[]) =>
  patterns.find(([, matches]) => texts.some((text) => matches(text)))?.[0];

/** Whether the rules select `fn` in a module they apply to (`moduleGlob` from `moduleRule`). */
export function ruleVerdict(
  ts: TS,
  fn: FunctionNode,
  naming: SiteName,
  config: ResolvedConfig,
  context: { readonly moduleGlob: string; readonly exported: ReadonlySet<string> },
): RuleVerdict {
  const kind = functionKindOf(ts, fn);
  if (!kind || !fn.body) return { selected: false, reason: 'not a function with a body', patterns: [] };
  if (naming.anonymous) return { selected: false, reason: 'anonymous: rules select named functions only', patterns: [] };
  const m = matchersOf(config);
  const texts = [naming.name, naming.fn];
  const patterns = m.functionsInclude ? indexesMatching(m.functionsInclude, texts) : [];
  const leave = (reason: string) => ({ selected: false, reason, patterns }) as const;
  if (!config.kinds.includes(kind)) return leave(`kind "${kind}" is not in "kinds"`);
  const execution = executionKindName(siteKindOf(ts, fn));
  if (!config.async.includes(execution)) return leave(`"${execution}" is not in "async"`);
  if (config.exportedOnly && !isExported(ts, fn, context.exported)) return leave('not exported ("exportedOnly")');
  if (m.functionsInclude && !patterns.length) return leave('name matches no "functions.include" pattern');
  const excluded = matching(m.functionsExclude, texts);
  if (excluded) return leave(`name matches "functions.exclude" pattern "${excluded}"`);
  const included = m.functionsInclude?.[patterns[0]!]?.[0];
  const rule = `include "${context.moduleGlob}"${included ? `, functions.include "${included}"` : ''}`;
  return { selected: true, rule, patterns };
}
