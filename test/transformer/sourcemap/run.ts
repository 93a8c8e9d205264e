/**
 * Run by sourcemap.test.ts in a child process (`node --enable-source-maps`), with the compiled throws.js beside
 * it: prints the first stack frame of each error as JSON.
 */
type Throws = typeof import('./throws');

async function main(): Promise<void> {
  const m = require(process.argv[2]!) as Throws;
  const frames: Record<string, string> = {};
  const first = (e: unknown) => (e as Error).stack!.split('\n').find((l) => l.trim().startsWith('at '))!.trim();
  const attempt = async (label: string, run: () => unknown) => {
    try {
      await run();
      frames[label] = 'did not throw';
    } catch (e) {
      frames[label] = first(e);
    }
  };
  await attempt('sync', () => m.syncThrow());
  await attempt('async', () => m.asyncThrow());
  await attempt('generator', () => [...m.generatorThrow()]);
  await attempt('async generator', async () => {
    for await (const _ of m.asyncGeneratorThrow());
  });
  await attempt('arrow', () => m.arrowThrow());
  await attempt('method', () => new m.Service().method());
  process.stdout.write(JSON.stringify(frames));
}

void main();
