/**
 * An internal exception in the middle of a function's rewrite, carrying a value that cannot be printed: a
 * TypeScript instance whose `isReturnStatement` throws it. Only the rewrite of a body asks about return
 * statements, so the selection has run by then and the fault lands on one function.
 */
import type * as ts from 'typescript';
import { hostileValue } from './fault-tracer';

/** Thrown values that neither `String()` nor `instanceof` may touch safely. */
export const UNPRINTABLE_THROWS: readonly (readonly [label: string, thrown: () => unknown])[] = [
  ['a Proxy whose every trap throws', hostileValue],
  [
    'an object whose toString throws',
    () => ({
      toString() {
        throw new Error('toString broke');
      },
    }),
  ],
];

export function throwingInRewrite(host: typeof ts, thrown: unknown): typeof ts {
  return {
    ...host,
    isReturnStatement: (_node: ts.Node): _node is ts.ReturnStatement => {
      throw thrown;
    },
  };
}
