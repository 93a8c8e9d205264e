/**
 * `traced view <spans.jsonl> [--out page.html]`: reads the JSON lines a `FileExporter` wrote and writes one
 * self-contained HTML page with a waterfall per trace. Bad lines are reported with their line number and
 * skipped; a file that cannot be read, or holds no span at all, is a one-line error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkSpanRecord, type SpanRecord } from '../runtime/dev/span-record';
import { renderWaterfall } from '../runtime/dev/waterfall';

export const usage = `Usage: traced view <spans.jsonl> [--out <page.html>]

Writes one HTML page with a waterfall per trace of the spans in <spans.jsonl> (the JSON lines a FileExporter
writes) and prints its path. The page needs no network: open it from disk, attach it to an issue.

Options:
  -o, --out <file>  where to write the page (default: beside the input, with the extension .html)
  -h, --help        show this help`;

/** Bad lines reported one by one; beyond this they are only counted. */
const MAX_REPORTED = 10;

export interface LineProblem {
  readonly line: number;
  readonly message: string;
}

/** Parses JSON lines: the valid span records, and what was wrong with each other non-blank line. */
export function parseSpanLines(text: string): { records: SpanRecord[]; problems: LineProblem[] } {
  const records: SpanRecord[] = [];
  const problems: LineProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push({ line: index + 1, message: `not valid JSON (${(error as Error).message})` });
      return;
    }
    const wrong = checkSpanRecord(value);
    if (wrong === undefined) records.push(value as SpanRecord);
    else problems.push({ line: index + 1, message: `not a span record (${wrong})` });
  });
  return { records, problems };
}

/** `spans.jsonl` → `spans.html`, beside it. */
function defaultOut(input: string): string {
  return /\.(jsonl|ndjson|json)$/i.test(input) ? input.replace(/\.(jsonl|ndjson|json)$/i, '.html') : `${input}.html`;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

export function run(args: readonly string[]): number {
  let values: { out?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }));
  } catch (error) {
    console.error(`traced view: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`traced view: ${positionals.length === 0 ? 'name a span file' : 'name one span file'}\n\n${usage}`);
    return 2;
  }
  const input = positionals[0];
  let text: string;
  try {
    text = readFileSync(input, 'utf8');
  } catch (error) {
    console.error(`traced view: cannot read ${input}: ${reason(error)}`);
    return 1;
  }
  const { records, problems } = parseSpanLines(text);
  for (const problem of problems.slice(0, MAX_REPORTED)) {
    console.error(`traced view: ${input}:${problem.line}: ${problem.message}; line skipped`);
  }
  if (problems.length > MAX_REPORTED) {
    console.error(`traced view: ${input}: ${problems.length - MAX_REPORTED} more bad lines skipped`);
  }
  if (records.length === 0 && problems.length > 0) {
    console.error(`traced view: ${input} holds no span records (is it a file a FileExporter wrote?)`);
    return 1;
  }
  const out = resolve(values.out ?? defaultOut(input));
  try {
    writeFileSync(out, renderWaterfall(records, { title: basename(input) }));
  } catch (error) {
    console.error(`traced view: cannot write ${out}: ${reason(error)}`);
    return 1;
  }
  console.log(out);
  return 0;
}
