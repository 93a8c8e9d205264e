/** Errors thrown from traced functions of each kind; sourcemap.test.ts checks where their stacks point. */

/** @traced */
export function syncThrow(): never {
  const detail = 'sync';
  throw new Error(detail);
}

/** @traced */
export async function asyncThrow(): Promise<never> {
  await null;
  throw new Error('async');
}

/** @traced */
export function* generatorThrow(): Generator<number> {
  yield 1;
  throw new Error('generator');
}

/** @traced */
export async function* asyncGeneratorThrow(): AsyncGenerator<number> {
  for await (const n of [1]) yield n;
  throw new Error('async generator');
}

/** @traced */
export const arrowThrow = (): never => { throw new Error('arrow'); };

export class Service {
  /** @traced */
  method(): never {
    throw new Error('method');
  }
}
