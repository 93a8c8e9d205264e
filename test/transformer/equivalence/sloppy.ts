/**
 * A script compiled without "use strict": arguments and parameters alias each other, `this` of a plain call is
 * the global object. Compiled with `strict: false`.
 */

/** @traced */
function alias(a: string, b?: string): string {
  arguments[0] = 'changed';
  b = 'b changed';
  return `${a} ${arguments[1]} ${arguments.length}`;
}

/** @traced */
function thisOfPlainCall(this: unknown): boolean {
  return this === globalThis;
}

(globalThis as Record<string, unknown>).sloppyModule = { alias, thisOfPlainCall };
