// Entry of the cycle: importing it evaluates b.ts first, which calls `greet` before this module has run.
import { early } from './b.js';

/** @traced */
export function greet(name: string): string {
  return `hello ${name}`;
}

export const later = greet('later');
export { early };
