/**
 * ts-traced's own `@traced` / `@untraced` decorators are compile-time markers: the rewrite drops every one of
 * them from the emit (`Selection.decorators`), so their run-time wrapper never runs on instrumented code. Other
 * decorators stay, in order.
 *
 * @example
 *   @log @traced({ tags }) @memo method() {}   →   @log @memo method() {}
 *
 * One exception keeps the emit faithful: with `experimentalDecorators` and `emitDecoratorMetadata`, TypeScript
 * writes `design:type` / `design:paramtypes` / `design:returntype` only for decorated members. When a marker was
 * a member's only decorator, a no-op decorator takes its place, so that metadata is still there.
 *
 * @example
 *   @traced method(id: string) {}   →   @(() => { }) method(id: string) {}   // __metadata(...) still emitted
 */
import type * as ts from 'typescript';
import type { FileContext } from '../context';

/** Does `node` (of the parse tree) carry one of the markers? */
export function hasMarker(ts: typeof import('typescript'), node: ts.Node, markers: ReadonlySet<ts.Node>): boolean {
  return ts.canHaveDecorators(node) && (ts.getDecorators(node) ?? []).some((d) => markers.has(d));
}

/** `node` (as visited) without the markers. */
export function withoutMarkers<T extends ts.HasDecorators & ts.HasModifiers>(
  c: FileContext,
  node: T,
  markers: ReadonlySet<ts.Node>,
): T {
  const { ts, factory } = c;
  const kept = (node.modifiers ?? []).filter((m) => !markers.has(ts.getOriginalNode(m)));
  const options = c.transformation.getCompilerOptions();
  const parameters = ('parameters' in node ? node.parameters : []) as readonly ts.ParameterDeclaration[];
  const losesMetadata =
    options.experimentalDecorators &&
    options.emitDecoratorMetadata &&
    !kept.some((m) => ts.isDecorator(m)) &&
    !parameters.some((p) => ts.getDecorators(p)?.length);
  if (!losesMetadata) return factory.replaceDecoratorsAndModifiers(node, kept);
  const noop = factory.createDecorator(
    factory.createParenthesizedExpression(
      factory.createArrowFunction(undefined, undefined, [], undefined, undefined, factory.createBlock([])),
    ),
  );
  // Decorators come before the other modifiers (`@d public static m()`), so the stand-in goes first.
  return factory.replaceDecoratorsAndModifiers(node, [noop, ...kept]);
}
