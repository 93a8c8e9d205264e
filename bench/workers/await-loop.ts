/**
 * The cost of a plain `await` in untraced code, in one process, as ts-traced goes from absent to recording:
 * AsyncLocalStorage, once enabled, adds work to every promise in the process (Node 20), so the runtime must not
 * enable it before a tracer is set. Prints one JSON line: ns per `await` in each phase.
 */
import { outRequire, packageRequire, reply, sample } from '../lib/measure';

const quick = process.argv.includes('--quick');

async function awaitLoop(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await null;
}

async function main() {
  const measure = async () => (await sample({ awaitLoop }, quick ? 5 : 9, quick ? 15e6 : 60e6)).awaitLoop;
  const phases: Record<string, number[]> = {};
  phases['before ts-traced is loaded'] = await measure();

  const calls = outRequire('./calls.traced.js');
  for (let i = 0; i < 1e5; i++) await calls.asyncTrivial(i);
  phases['ts-traced loaded, traced calls, no tracer'] = await measure();

  const { DevTracer } = packageRequire('ts-traced/dev');
  packageRequire('ts-traced').setTracer(new DevTracer());
  phases['tracer set, before the first traced call'] = await measure();

  await calls.asyncTrivial(0);
  phases['tracer set, after a traced call'] = await measure();
  reply({ phases });
}

main();
