/** Async functions and promise-returning sync functions, selected with JSDoc markers. */

/** @traced */
export async function work(label: string, order: string[]): Promise<string> {
  order.push(`${label} start`);
  await null;
  order.push(`${label} after null`);
  await Promise.resolve();
  order.push(`${label} after resolved`);
  await { then: (resolve: (v: number) => void) => resolve(1) };
  order.push(`${label} after thenable`);
  try {
    await Promise.reject(new Error('rejected'));
  } catch {
    order.push(`${label} caught`);
  }
  for await (const n of numbers()) order.push(`${label} iter ${n}`);
  queueMicrotask(() => order.push(`${label} microtask`));
  process.nextTick(() => order.push(`${label} nextTick`));
  return label;
}

async function* numbers(): AsyncGenerator<number> {
  yield 1;
  yield 2;
}

export async function plainWork(label: string, order: string[]): Promise<string> {
  order.push(`${label} start`);
  await null;
  order.push(`${label} after null`);
  return label;
}

/** Returns a promise from an async function: the engine adopts it. @traced */
export async function adopt(value: string): Promise<string> {
  return Promise.resolve(value);
}

/** @traced */
export async function rejectLater(message: string): Promise<never> {
  await null;
  throw new Error(message);
}

/** @traced */
export async function delayed(label: string, ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return label;
}

export class Lazy implements PromiseLike<string> {
  thenCalls = 0;
  constructor(private readonly value: string) {}
  then<A = string, B = never>(onFulfilled?: ((v: string) => A | PromiseLike<A>) | null, onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    this.thenCalls++;
    return Promise.resolve(this.value).then(onFulfilled, onRejected);
  }
}

export class Special<T> extends Promise<T> {}

/** @traced */
export function startLazy(value: string): Lazy {
  return new Lazy(value);
}

/** @traced */
export function startSpecial(value: string): Special<string> {
  return Special.resolve(value) as Special<string>;
}

/** @traced */
export function startPromise<T>(promise: Promise<T>): Promise<T> {
  return promise;
}

/** @traced */
export function startRejected(message: string): Promise<never> {
  return Promise.reject(new Error(message));
}

/** @traced */
export const arrow = async (x: number): Promise<number> => (await x) * 2;

/** Rejects with what it is given, after a suspension. @traced */
export async function rejectWith(value: unknown): Promise<never> {
  await null;
  throw value;
}
