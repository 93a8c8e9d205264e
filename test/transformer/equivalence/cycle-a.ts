/**
 * Half of an import cycle: cycle-b calls `double` while this module is still loading its imports. CommonJS
 * exports a function declaration before anything else runs, so this works untraced; its site record is a function
 * declaration too, so it works traced, also where a compiler hoists the imports above the records (esbuild).
 */
import { fromB } from './cycle-b';

/** @traced */
export function double(n: number): number {
  return n * 2;
}

export const result = `b computed ${fromB} while a was loading`;
