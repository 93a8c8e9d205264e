// Compiled with the plugin by active-span.test.ts: records the active span's name at every point that matters.
import { activeSpan } from 'ts-traced';

export const seen: Record<string, string | undefined> = {};
const current = () => (activeSpan() as { name?: string } | undefined)?.name;
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/** @traced */
export async function work(fail: boolean): Promise<string> {
  seen.start = current();
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      seen.timer = current();
      resolve();
    }, 1),
  );
  const chained = Promise.resolve().then(() => {
    seen.promise = current();
  });
  await immediate();
  seen.afterAwait = current();
  await Promise.all([timer, chained]);
  try {
    await (fail ? Promise.reject(new Error('boom')) : immediate());
    seen.afterLastAwait = current();
  } catch (error) {
    seen.inCatch = current();
    throw error;
  } finally {
    seen.inFinally = current();
  }
  return 'done';
}

/** @traced */
export function* steps(): Generator<number, void, unknown> {
  seen.beforeYield = current();
  yield 1;
  seen.afterYield = current();
  try {
    yield 2;
  } finally {
    seen.generatorFinally = current();
  }
}

/** @traced */
export async function* pages(): AsyncGenerator<number, void, unknown> {
  for await (const page of source()) {
    seen[`page${page}`] = current();
    yield page;
  }
  seen.afterForAwait = current();
}

async function* source(): AsyncGenerator<number, void, unknown> {
  for (let page = 1; page <= 2; page++) {
    await immediate();
    yield page;
  }
}
