/**
 * The record of a site, emitted once at module scope as a function declaration (`SiteSource`): declarations are
 * initialised before the module's first statement runs, so the record is there for a call made before the module's
 * body (an import cycle, or requires a bundler hoists above it). The runtime calls it at the first recording call.
 *
 * @example
 *   function $site_1() { return __traced.v1.site({ name: "Billing.charge", kind: 1, fn: "charge", ns: "Billing",
 *     file: "src/billing.ts", line: 4, tags: { component: "billing" }, args: [{ name: "invoiceId", index: 0 }] }); }
 *
 * With run-time options (`@traced({ onStart })`) the user's options expression is passed as the second argument
 * and a `var` declaration goes right before the module statement that holds the function, so the expression runs
 * where the module runs it, with the module-scope bindings it reads initialised. Keys follow `SiteRecord`; absent
 * values are left out.
 */
import type * as ts from 'typescript';
import { HELPER, type SiteRecord, type TagValue } from '../../contract';
import type { FileContext } from '../context';
import type { Site } from '../select/site';

export function siteDeclaration(
  c: FileContext,
  site: Site,
  name: string,
  dynamic?: ts.Expression,
): ts.Statement {
  const { ts, factory } = c;
  const record: Record<keyof SiteRecord, ts.Expression | undefined> = {
    name: factory.createStringLiteral(site.name),
    kind: literal(factory, site.kind),
    fn: factory.createStringLiteral(site.fn),
    ns: site.ns === undefined ? undefined : factory.createStringLiteral(site.ns),
    file: factory.createStringLiteral(site.file),
    line: literal(factory, site.line),
    tags: site.tags && Object.keys(site.tags).length > 0 ? object(c, site.tags) : undefined,
    args: site.args?.length
      ? factory.createArrayLiteralExpression(
          site.args.map((a) => object(c, { name: a.name, index: a.index })),
          false,
        )
      : undefined,
    requireActive: site.requireActive ? factory.createTrue() : undefined,
  };
  const properties = Object.entries(record).flatMap(([key, value]) =>
    value ? [factory.createPropertyAssignment(key, value)] : [],
  );
  const fields = factory.createObjectLiteralExpression(properties, false);
  const call = c.runtime.call(HELPER.site, dynamic ? [fields, dynamic] : [fields]);
  if (dynamic === undefined) {
    const body = factory.createBlock([factory.createReturnStatement(call)], false);
    return factory.createFunctionDeclaration(undefined, undefined, name, undefined, [], undefined, body);
  }
  const declaration = factory.createVariableDeclaration(name, undefined, undefined, call);
  // `var`, not `let`: a call before this statement (none is known: it precedes the method's class) would run untraced, not throw.
  const list = factory.createVariableDeclarationList([declaration], ts.NodeFlags.None);
  return factory.createVariableStatement(undefined, list);
}

/** `{ key: value }` with keys that are not identifiers quoted, and `__proto__` computed so it stays an own property. */
function object(c: FileContext, values: Readonly<Record<string, TagValue>>): ts.ObjectLiteralExpression {
  const { factory } = c;
  const properties = Object.entries(values).map(([key, value]) => {
    const name =
      key === '__proto__'
        ? factory.createComputedPropertyName(factory.createStringLiteral(key))
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? factory.createIdentifier(key)
          : factory.createStringLiteral(key);
    return factory.createPropertyAssignment(name, literal(factory, value));
  });
  return factory.createObjectLiteralExpression(properties, false);
}

/** A literal that cannot be shadowed: `-1` as a negation, non-finite numbers as divisions (`1 / 0`). */
function literal(factory: ts.NodeFactory, value: TagValue): ts.Expression {
  if (typeof value === 'string') return factory.createStringLiteral(value);
  if (typeof value === 'boolean') return value ? factory.createTrue() : factory.createFalse();
  const zero = () => factory.createNumericLiteral(0);
  if (Number.isNaN(value)) return factory.createDivide(zero(), zero());
  if (!Number.isFinite(value)) {
    const infinity = factory.createDivide(factory.createNumericLiteral(1), factory.createNumericLiteral(0));
    return value > 0 ? infinity : factory.createPrefixMinus(factory.createParenthesizedExpression(infinity));
  }
  const magnitude = factory.createNumericLiteral(Math.abs(value));
  return value < 0 || Object.is(value, -0) ? factory.createPrefixMinus(magnitude) : magnitude;
}
