/** Generators and async generators, selected with JSDoc markers. */

export const effects: string[] = [];

/** @traced */
export function* count(limit: number): Generator<number, string, number | undefined> {
  effects.push(`count(${limit}) started`);
  try {
    for (let i = 0; i < limit; ) {
      const step = yield i;
      i += step ?? 1;
    }
    return 'done';
  } catch (e) {
    effects.push(`count caught ${(e as Error).message}`);
    yield -1;
    return 'recovered';
  } finally {
    effects.push('count finally');
  }
}

function* letters(): Generator<string, string, unknown> {
  const got = yield 'a';
  yield `b after ${String(got)}`;
  return 'letters done';
}

/** @traced */
export function* delegate(): Generator<string, string, unknown> {
  const result = yield* letters();
  yield result;
  return 'delegate done';
}

/** @traced */
export async function* pages(count: number): AsyncGenerator<string, string, boolean | undefined> {
  try {
    for (let page = 1; page <= count; page++) {
      await new Promise((resolve) => setImmediate(resolve));
      const stop = yield `page ${page}`;
      if (stop) return 'stopped';
    }
    return 'end';
  } finally {
    effects.push('pages finally');
  }
}

async function* source(): AsyncGenerator<number, void, unknown> {
  yield 1;
  await null;
  yield 2;
}

/** @traced */
export async function* relay(): AsyncGenerator<number | string, void, unknown> {
  yield* source();
  for await (const n of source()) yield `loop ${n}`;
}

/** @traced */
export async function* failing(): AsyncGenerator<number, void, unknown> {
  yield 1;
  await Promise.reject(new TypeError('page failed'));
}

/** Iterable both ways: a sync generator's `yield*` takes the sync side, an async one the async side. */
export const dual = {
  *[Symbol.iterator]() {
    yield 'sync side';
  },
  async *[Symbol.asyncIterator]() {
    yield 'async side';
  },
};

/** @traced */
export function* delegateSync(source: unknown): Generator<unknown> {
  yield* source as Iterable<unknown>;
}

/** @traced */
export async function* delegateAsync(source: unknown): AsyncGenerator<unknown> {
  yield* source as AsyncIterable<unknown>;
}

/** @traced */
export async function loopAsync(source: unknown): Promise<unknown[]> {
  const seen: unknown[] = [];
  for await (const value of source as AsyncIterable<unknown>) seen.push(value);
  return seen;
}
