/**
 * The file exporter: the JSON lines it writes, when it writes them (flush, batch, interval, close, process
 * exit in a real child process), and that a bad path or a hostile value never reaches the app.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DevTracer } from '../../../src/runtime/dev/dev-tracer';
import { FileExporter, type FileExporterOptions } from '../../../src/runtime/dev/file-exporter';
import type { SpanRecord } from '../../../src/runtime/dev/span-record';
import { FAULT_WARNING_CODE, faultCounts, resetFaults } from '../../../src/runtime/safe';

const dir = join(__dirname, '.tmp', `file-exporter-${process.pid}`);
mkdirSync(dir, { recursive: true });
let n = 0;
const tmpFile = () => join(dir, `spans-${n++}.jsonl`);
const readLines = (file: string): SpanRecord[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function setup(options: FileExporterOptions = {}) {
  const file = tmpFile();
  const exporter = new FileExporter(file, options);
  const tracer = new DevTracer();
  tracer.onFinish(exporter.export);
  return { file, exporter, tracer };
}

const exporter = suite('FileExporter');

exporter('writes one JSON line per finished span: ids, parent, name, start, duration, tags, logs, error', () => {
  const { file, exporter: ex, tracer } = setup();
  const root = tracer.startSpan('GET /orders', { tags: { 'http.method': 'GET' } });
  const child = tracer.startSpan('pg.query', { childOf: root, tags: { 'db.statement': 'SELECT 1' } });
  child.setTag('error', true);
  child.log({ event: 'error', message: 'relation does not exist' }, 1_700_000_000_001.5);
  child.finish();
  root.finish();
  ex.flush();
  const [c, r] = readLines(file);
  assert.equal(Object.keys(c), ['traceId', 'spanId', 'parentId', 'name', 'start', 'duration', 'tags', 'logs', 'error']);
  assert.is(r.traceId, root.traceId);
  assert.is(r.spanId, root.spanId);
  assert.is(r.parentId, null, '~> a root has parentId null');
  assert.is(c.parentId, root.spanId);
  assert.is(c.name, 'pg.query');
  assert.ok(Math.abs(c.start - child.start) < 0.001, '~> start in epoch ms, to the microsecond');
  assert.ok(Math.abs(c.duration - child.duration) < 0.001);
  assert.equal(c.tags, { 'db.statement': 'SELECT 1', error: true });
  assert.equal(c.logs, [{ timestamp: 1_700_000_000_001.5, fields: { event: 'error', message: 'relation does not exist' } }]);
  assert.is(c.error, true);
  assert.is(r.error, false);
});

exporter('holds lines until flush(), a full batch or the interval, and never keeps them twice', async () => {
  const { file, exporter: ex, tracer } = setup({ flushIntervalMs: 600_000 });
  tracer.startSpan('a').finish();
  assert.is(readFileSync(file, 'utf8'), '', '~> the file exists, empty, until a batch is written');
  ex.flush();
  ex.flush();
  assert.is(readLines(file).length, 1);

  const batch = setup({ batchBytes: 600, flushIntervalMs: 600_000 });
  for (let i = 0; i < 4; i++) batch.tracer.startSpan(`span ${i}`).finish();
  assert.ok(readLines(batch.file).length >= 2, '~> a full batch is written without flush()');

  const timed = setup({ flushIntervalMs: 20 });
  timed.tracer.startSpan('late').finish();
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(readLines(timed.file).map((l) => l.name), ['late'], '~> written by the interval');
  for (const e of [ex, batch.exporter, timed.exporter]) e.close();
});

exporter('appends to an existing file by default; append: false empties it on open', () => {
  const file = tmpFile();
  writeFileSync(file, '{"earlier":true}\n');
  const tracer = new DevTracer();
  const appending = new FileExporter(file);
  tracer.onFinish(appending.export);
  tracer.startSpan('x').finish();
  appending.close();
  assert.is(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
  new FileExporter(file, { append: false }).close();
  assert.is(readFileSync(file, 'utf8'), '');
});

exporter('turns any tag or log value into JSON-safe text, bounded', () => {
  const { file, exporter: ex, tracer } = setup();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } });
  const span = tracer.startSpan('values', {
    tags: { big: 10n, inf: Infinity, nan: NaN, obj: { a: 1 }, cyclic, fn: () => 1, sym: Symbol('s'), long: 'x'.repeat(10_000) },
  });
  span.log({ 'error.object': new TypeError('bad input'), nothing: undefined, nil: null });
  span.log(hostile);
  span.finish();
  ex.flush();
  const [record] = readLines(file);
  assert.equal(
    { ...record.tags, long: undefined },
    { big: '10', inf: 'Infinity', nan: 'NaN', obj: '{"a":1}', cyclic: '[object]', fn: '[function]', sym: 'Symbol(s)', long: undefined },
  );
  assert.is(record.tags.long, `${'x'.repeat(8192)}…`, '~> strings cut at 8 KiB');
  assert.equal(record.logs[0].fields, { 'error.object': 'TypeError: bad input', nothing: 'undefined', nil: null });
  assert.equal(record.logs[1].fields, {}, '~> a hostile object gives no fields, and no throw');
});

exporter('a path that cannot be written is reported once and never throws; spans are dropped', async () => {
  resetFaults();
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === FAULT_WARNING_CODE && w.message.includes('fileExporter.open')) warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const file = join(dir, 'no-such-folder', 'spans.jsonl');
  const ex = new FileExporter(file);
  const tracer = new DevTracer();
  tracer.onFinish(ex.export);
  tracer.startSpan('a').finish();
  ex.flush();
  tracer.startSpan('b').finish();
  ex.close();
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.is(faultCounts()['fileExporter.open'], 3, '~> tried again at construction, flush() and close()');
  assert.is(warnings.length, 1, '~> one warning');
  assert.not.ok(existsSync(file));
});

exporter('close() writes what is queued, ignores later spans and removes its exit listener', () => {
  const listeners = process.listenerCount('exit');
  const { file, exporter: ex, tracer } = setup({ flushIntervalMs: 600_000 });
  assert.is(process.listenerCount('exit'), listeners + 1);
  tracer.startSpan('before').finish();
  ex.close();
  ex.close();
  tracer.startSpan('after').finish();
  ex.flush();
  assert.equal(readLines(file).map((l) => l.name), ['before']);
  assert.is(process.listenerCount('exit'), listeners);
});

exporter('writes what is queued when the process exits: end of the event loop, process.exit(), uncaught exception', () => {
  const child = join(__dirname, 'fixtures', 'export-then-exit.ts');
  const expected: Record<string, number> = { natural: 0, exit: 3, throw: 1 };
  for (const how of Object.keys(expected)) {
    const file = tmpFile();
    const result = spawnSync(process.execPath, ['--import', 'tsx', child, file, how], {
      cwd: join(__dirname, '..', '..', '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.is(result.signal, null, `~> ${how}: ended by itself (an unref'd timer does not hold the process)`);
    assert.is(result.status, expected[how], `~> ${how}: exit code untouched; ${result.stderr}`);
    assert.equal(readLines(file).map((l) => l.name), ['a', 'b', `root ${how}`], `~> ${how}: every span written`);
  }
});

exporter.after(() => rmSync(dir, { recursive: true, force: true }));
exporter.run();
