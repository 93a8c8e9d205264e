/**
 * Runs a built copy of the pipeline test app in this process and prints one JSON line: what the app logged,
 * and the spans a RecordingTracer saw. Bundled by the tests (esbuild) so it runs on plain Node, under any
 * loader: `node [--import ts-traced/register] runner.cjs <app main> record|plain`.
 */
import { pathToFileURL } from 'node:url';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer } from '../helpers/mock-tracer';
import { spanSummary } from './spans';

type Run = (log: (line: string) => void) => Promise<void>;

async function main(): Promise<void> {
  const [entry, mode] = process.argv.slice(2);
  const tracer = mode === 'record' ? installRecordingTracer() : undefined;
  if (!tracer) setTracer(undefined);
  const loaded = (await import(pathToFileURL(entry).href)) as { run?: Run; default?: { run?: Run } };
  const run = loaded.run ?? loaded.default?.run;
  if (!run) throw new Error(`${entry} exports no run()`);
  const lines: string[] = [];
  await run((line) => lines.push(line));
  process.stdout.write(`${JSON.stringify({ lines, spans: tracer ? spanSummary(tracer.started) : [] })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
