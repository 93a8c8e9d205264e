/**
 * Microtask ticks until an async function's promise settles, untraced and instrumented (with no tracer and with
 * the DevTracer): the instrumented code must settle on the very same tick. Prints one JSON line.
 */
import { outRequire, packageRequire, reply } from '../lib/measure';

const FUNCTIONS = ['asyncTrivial', 'asyncAwaits', 'asyncReturnsPromise'] as const;

/** Counts microtasks run, one at a time, until `start()`'s promise settles. */
function ticksToSettle(start: () => Promise<unknown>): Promise<number> {
  return new Promise((resolve) => {
    let settled = false;
    let ticks = 0;
    start().then(
      () => (settled = true),
      () => (settled = true),
    );
    const step = () => {
      if (settled) return resolve(ticks);
      ticks++;
      queueMicrotask(step);
    };
    queueMicrotask(step);
  });
}

async function count(module: Record<string, (n: number) => Promise<number>>) {
  const out: Record<string, number> = {};
  for (const name of FUNCTIONS) out[name] = await ticksToSettle(() => module[name](1));
  return out;
}

async function main() {
  const plain = await count(outRequire('./calls.js'));
  // The counter's control: one more `await` around each function must show as one more tick.
  const wrapped: Record<string, (n: number) => Promise<number>> = {};
  for (const name of FUNCTIONS) wrapped[name] = async (n) => await outRequire('./calls.js')[name](n);
  const control = await count(wrapped);
  const traced = outRequire('./calls.traced.js');
  const noTracer = await count(traced);
  const { DevTracer } = packageRequire('ts-traced/dev');
  packageRequire('ts-traced').setTracer(new DevTracer());
  const devTracer = await count(traced);
  reply({ ticks: { plain, 'plain + one await (control)': control, 'ts-traced, no tracer': noTracer, 'ts-traced, DevTracer': devTracer } });
}

main();
