/**
 * Runs every equivalence script (test/transformer/equivalence/cases.ts) on one built copy of the equivalence
 * modules, each on a fresh load, and prints one JSON line: per case, the transcript and the spans a
 * RecordingTracer saw. Bundled by the test (esbuild) so it runs on any Node, under any loader:
 * `node [--import ts-traced/register] equivalence-runner.cjs <built folder> <extension> plain|record`.
 */
import { join } from 'node:path';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer } from '../helpers/mock-tracer';
import { CASES, show, type Case } from '../transformer/equivalence/cases';
import { spanSummary } from './spans';

async function main(): Promise<void> {
  const [dir, extension, mode] = process.argv.slice(2);
  const results: Record<string, { lines: string[]; spans: string[] }> = {};
  for (const [key, { module, script }] of Object.entries(CASES) as [string, Case<unknown>][]) {
    // Module state starts over for each script, as in the in-process suite.
    for (const cached of Object.keys(require.cache)) if (cached.startsWith(`${dir}/`)) delete require.cache[cached];
    const tracer = mode === 'record' ? installRecordingTracer() : undefined;
    if (!tracer) setTracer(undefined);
    const lines: string[] = [];
    await script(require(join(dir, `${module}${extension}`)), (...values) => lines.push(values.map(show).join(' ')));
    results[key] = { lines, spans: tracer ? spanSummary(tracer.started) : [] };
  }
  setTracer(undefined);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
