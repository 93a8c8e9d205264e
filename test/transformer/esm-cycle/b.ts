import { greet } from './a.js';

/** @traced */
function shout(name: string): string {
  return greet(name).toUpperCase();
}

export const early = shout('early');
