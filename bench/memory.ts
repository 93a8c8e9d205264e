/**
 * Memory: the heap after 1e6 sync + 1e6 async traced calls with no tracer (must not grow), and the bytes an open
 * span costs with the DevTracer (a pending traced async call against a pending untraced one, and a DevSpan alone).
 *
 *   npx tsx bench/memory.ts [--node 20,24]
 */
import { compileFixture, preparePackage } from './lib/prepare';
import { describeMachine, fixed, nodeBinary, nodeVersion, quick, requestedNodes, runWorker, table, writeResults } from './lib/report';

interface Untraced {
  calls: number;
  before: number;
  after: number;
}
interface Live {
  count: number;
  plain: { perCall: number; leftAfter: number };
  traced: { perCall: number; leftAfter: number };
  perOpenSpan: number;
  perDevSpan: number;
}

function runOn(major: string) {
  const node = nodeBinary(major);
  if (node === undefined) return undefined;
  const flags = ['--expose-gc'];
  const run = <T>(mode: string) => runWorker<T>('memory', [mode], node, { NODE_OPTIONS: flags.join(' ') });
  const untraced = run<Untraced>('untraced');
  const live = run<Live>('live');
  const version = nodeVersion(node);
  const kib = (bytes: number) => `${fixed(bytes / 1024, 1)} KiB`;
  console.log(`\nMemory on Node ${version}`);
  console.log(
    table(
      ['measure', 'value'],
      [
        [`heap growth over ${untraced.calls / 1e6}e6 traced calls, no tracer`, kib(untraced.after - untraced.before)],
        ['bytes per open span (pending traced call − pending untraced call)', fixed(live.perOpenSpan, 0)],
        ['  pending untraced async call', fixed(live.plain.perCall, 0)],
        ['  pending traced async call, DevTracer', fixed(live.traced.perCall, 0)],
        ['bytes per DevSpan alone (child span with static tags)', fixed(live.perDevSpan, 0)],
        [`heap left after ${live.count} traced calls finished`, kib(live.traced.leftAfter)],
      ],
    ),
  );
  return { version, untraced, live };
}

function main() {
  preparePackage(console.log);
  compileFixture('calls');
  console.log(`memory${quick ? ' (quick)' : ''}: ${describeMachine()}`);
  const runs: Record<string, unknown> = {};
  for (const major of requestedNodes(quick ? undefined : ['20', '24'])) runs[`node${major}`] = runOn(major);
  console.log(`\nwrote ${writeResults('memory', { runs })}`);
}

main();
