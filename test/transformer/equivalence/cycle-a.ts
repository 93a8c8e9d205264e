/**
 * Half of an import cycle: cycle-b calls `double` while this module is still loading its imports. CommonJS
 * exports a function declaration before anything else runs, so this works untraced; the site records come
 * before the imports, so it works traced too.
 */
import { fromB } from './cycle-b';

/** @traced */
export function double(n: number): number {
  return n * 2;
}

export const result = `b computed ${fromB} while a was loading`;
