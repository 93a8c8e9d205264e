/**
 * C4 (60–64): faults that arrive later or from outside the call: ts-traced's own exporters failing, a flood of
 * faults, a tracer that runs traced code, hostile globals, and an OTLP endpoint that refuses connections for the
 * whole of a load run (in a child process with --unhandled-rejections=strict).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import FakeTimers from '@sinonjs/fake-timers';
import Bluebird from 'bluebird';
import type { Span, SpanOptions } from 'opentracing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { suppressTracing } from '../../src/runtime/child-span';
import { http as httpClient } from '../../src/runtime/clients/http';
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import { FileExporter } from '../../src/runtime/dev/file-exporter';
import { faultCounts, FAULT_WARNING_CODE, resetFaults } from '../../src/runtime/safe';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { installFaultTracer } from '../helpers/fault-tracer';
import { EXPORTS_IN_FLIGHT } from '../../src/runtime/setup/otel-pipeline';
import { installRecordingTracer, RecordingTracer } from '../helpers/mock-tracer';
import { runExporterChild, type ExporterRun } from './exporter-run';
import { buildPair, EscapeWatch, FIXTURES, turns } from './support';

type Faults = typeof import('./fixtures/faults');
type Reentry = typeof import('./fixtures/reentry');
type Hostile = typeof import('./fixtures/hostile');
const faults = buildPair<Faults>('faults', 'faults.ts');
const reentry = buildPair<Reentry>('reentry', 'reentry.ts');
const hostile = buildPair<Hostile>('hostile', 'hostile.ts');

const c60 = suite('C4.60 async faults of ts-traced exporters');
c60('C4.60 a file exporter that cannot write and listeners that throw or reject: no unhandled rejection or uncaught exception', async () => {
  resetFaults();
  const tracer = new DevTracer();
  const exporter = new FileExporter(join(FIXTURES, 'no-such-folder', 'spans.jsonl'), { flushIntervalMs: 1 });
  tracer.onFinish(exporter.export);
  tracer.onFinish(() => {
    throw new Error('listener throws');
  });
  tracer.onFinish(async () => {
    await null;
    throw new Error('async listener rejects');
  });
  tracer.onFinish(() => void setImmediate(() => undefined));
  setTracer(tracer);
  const m = faults.traced();
  const watch = new EscapeWatch();
  for (let i = 0; i < 100; i++) {
    m.syncWork(i, { n: 1 });
    await m.asyncWork(i);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  exporter.flush();
  exporter.close();
  await turns();
  watch.stop();
  setTracer(undefined);
  assert.equal([watch.unhandled.length, watch.uncaught.length], [0, 0], '~> nothing escaped');
  const counts = faultCounts();
  assert.ok(counts['fileExporter.open'] >= 1, '~> the unwritable file was reported');
  assert.ok(counts['devTracer.onFinish'] >= 200, '~> the failing listeners were counted, sync and async');
});
c60('C4.60 an OTLP exporter whose endpoint refuses connections: the app exits 0 under --unhandled-rejections=strict', async () => {
  const result = await exporterRun(2);
  assert.equal([result.unhandled, result.uncaught, result.mismatches], [0, 0, 0]);
});
c60.run();

const c61 = suite('C4.61 log flood guard');
c61('C4.61 1,000,000 faults of several kinds print at most 10 warnings (one per kind)', async () => {
  const m = faults.traced();
  resetFaults();
  const watch = new EscapeWatch();
  const total = () => Object.values(faultCounts()).reduce((a, b) => a + b, 0);
  // Every method of a recording tracer failing on every 2nd call, for variety; then a tracer whose startSpan
  // always throws, for volume.
  installFaultTracer({ throws: 'all', value: 'string', every: 2 });
  for (let i = 0; total() < 50_000; i++) {
    m.syncWork(i, { n: 1 });
    try {
      m.throwing(i);
    } catch {}
  }
  setTracer({
    startSpan() {
      throw 'startSpan always fails';
    },
  } as never);
  for (let i = 0; total() < 1_000_000; i++) for (let j = 0; j < 1000; j++) m.nestedWork(j);
  await turns();
  watch.stop();
  setTracer(undefined);
  const kinds = Object.keys(faultCounts());
  assert.ok(total() >= 1_000_000, `~> ${total()} faults`);
  assert.ok(kinds.length >= 3, `~> of several kinds: ${kinds.join(', ')}`);
  assert.ok(watch.warnings.length <= 10, `~> ${watch.warnings.length} warnings`);
  assert.is(watch.warnings.length, kinds.length, '~> exactly one per kind');
  assert.ok(watch.warnings.every((w) => (w as { code?: string }).code === FAULT_WARNING_CODE));
});
c61.run();

/** A tracer that runs traced code itself: in `startSpan`, and in `finish` (a serializer, then an http export). */
class ReentrantTracer extends RecordingTracer {
  exportPort = 0;
  readonly exports: Promise<number>[] = [];
  constructor(private readonly m: Reentry) {
    super();
    const alloc = (this as unknown as { _allocSpan: () => Span & { name: string } })._allocSpan;
    (this as unknown as { _allocSpan: () => Span })._allocSpan = () => {
      const span = alloc();
      const finish = span.finish.bind(span);
      span.finish = (time?: number) => {
        const body = m.serialize(span.name);
        if (this.exportPort) this.exports.push(m.send(this.exportPort, body));
        finish(time);
      };
      return span;
    };
  }
  override startSpan(name: string, options?: SpanOptions): Span {
    this.m.serialize(`start ${name}`);
    return super.startSpan(name, options);
  }
}

const c62 = suite('C4.62 re-entrancy');
c62('C4.62 a tracer whose startSpan and finish run traced code: no recursion, one span per business call, bounded stack', async () => {
  const m = reentry.traced();
  const tracer = new ReentrantTracer(m);
  resetFaults();
  setTracer(tracer);
  const results = [m.business(1), m.business(2), m.business(3)];
  setTracer(undefined);
  assert.equal(results, [2, 3, 4]);
  assert.equal(tracer.started.map((s) => (s as unknown as { name: string }).name), ['business', 'business', 'business'], '~> the tracer\'s own calls of traced code got no span');
  assert.is(m.seen.serialize, 6, '~> the serializer ran once per startSpan and once per finish');
  assert.ok(m.seen.maxDepth < 40, `~> stack depth ${m.seen.maxDepth}`);
  assert.equal(faultCounts(), {});
});
c62('C4.62 a tracer whose finish sends through the instrumented http client: the requests go out and make no span', async () => {
  const m = reentry.traced();
  const received: string[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      received.push(body);
      res.end();
    });
  });
  collector.listen(0, '127.0.0.1');
  await new Promise((r) => collector.once('listening', r));
  httpClient.install({});
  const tracer = new ReentrantTracer(m);
  tracer.exportPort = (collector.address() as AddressInfo).port;
  setTracer(tracer);
  try {
    for (let i = 0; i < 20; i++) m.business(i);
    const statuses = await Promise.all(tracer.exports);
    await turns();
    assert.equal(new Set(statuses), new Set([200]));
    assert.is(received.length, 20, '~> one export request per finished span');
    assert.equal([...new Set(tracer.started.map((s) => (s as unknown as { name: string }).name))], ['business'], '~> no client span for an export request');
  } finally {
    setTracer(undefined);
    httpClient.uninstall();
    await new Promise((r) => collector.close(r));
  }
});
c62('C4.62 an exporter that sends later, inside suppressTracing: its requests make no client span (OTel exporters: test/runtime/otel/exporter-requests.test.ts)', async () => {
  const m = reentry.traced();
  const collector = createServer((req, res) => req.resume().on('end', () => res.end()));
  collector.listen(0, '127.0.0.1');
  await new Promise((r) => collector.once('listening', r));
  const port = (collector.address() as AddressInfo).port;
  httpClient.install({});
  const tracer = installRecordingTracer();
  try {
    m.business(1);
    assert.is(await suppressTracing(() => m.send(port, 'later')), 200);
    assert.equal(tracer.started.map((s) => s.name), ['business', 'send'], '~> the traced send is a span, its http request is not');
  } finally {
    setTracer(undefined);
    httpClient.uninstall();
    await new Promise((r) => collector.close(r));
  }
});
c62.run();

const c63 = suite('C4.63 hostile globals');
c63('C4.63 Promise replaced by bluebird: traced code returns what plain code does, spans finish, nothing escapes', async () => {
  const native = globalThis.Promise;
  const outcomes: unknown[] = [];
  let tracer: RecordingTracer | undefined;
  const watch = new EscapeWatch();
  for (const mode of ['plain', 'traced'] as const) {
    setTracer(undefined);
    const m = mode === 'plain' ? hostile.plain() : hostile.traced();
    if (mode === 'traced') tracer = installRecordingTracer();
    globalThis.Promise = Bluebird as unknown as PromiseConstructor;
    try {
      const lib = m.libraryPromise(3);
      outcomes.push([lib instanceof Bluebird, await lib, await m.awaitsLibraryPromise(2), await m.waitThenAdd(1, 1)]);
    } finally {
      globalThis.Promise = native;
    }
  }
  await turns();
  watch.stop();
  setTracer(undefined);
  assert.equal(outcomes[1], outcomes[0]);
  assert.equal(outcomes[0], [true, 7, 8, 2]);
  assert.ok(tracer!.started.length >= 4 && tracer!.started.every((s) => s.finishCount === 1), '~> spans finished once');
  assert.equal([watch.unhandled.length, watch.uncaught.length, watch.warnings.length], [0, 0, 0]);
});
c63('C4.63 fake timers (@sinonjs/fake-timers): the host controls time, ts-traced adds no timer, spans finish on the fake clock', async () => {
  const m = hostile.traced();
  const tracer = installRecordingTracer();
  const clock = FakeTimers.install({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    const before = clock.countTimers();
    const pending = m.waitThenAdd(41, 5_000);
    let settled = false;
    void pending.then(() => (settled = true));
    await clock.tickAsync(4_999);
    assert.not.ok(settled, '~> not before the host advances the clock far enough');
    assert.is(clock.countTimers(), before + 1, '~> the only timer is the host\'s own');
    await clock.tickAsync(1);
    assert.is(await pending, 42);
    assert.is(m.stamp(), 1_005_000, '~> Date.now is the host\'s fake one inside traced code');
    assert.is(clock.countTimers(), before, '~> ts-traced left no timer behind');
  } finally {
    clock.uninstall();
    setTracer(undefined);
  }
  const [span] = tracer.byName('waitThenAdd') as unknown as { _startMs: number; _finishMs: number; finishCount: number }[];
  assert.is(span.finishCount, 1);
  assert.is(span._finishMs - span._startMs, 5_000, '~> the span measured fake time');
});
c63('C4.63 for await over sync iterables (no Symbol.asyncIterator): results as plain, span finished once', async () => {
  const outcomes: number[][] = [];
  for (const mode of ['plain', 'traced'] as const) {
    setTracer(undefined);
    const tracer = mode === 'traced' ? installRecordingTracer() : undefined;
    const m = mode === 'plain' ? hostile.plain() : hostile.traced();
    const outer = tracer?.startSpan('outer');
    await withSpan(outer as never, async () => {
      outcomes.push([await m.sumAll([1, Promise.resolve(2), 3]), await m.sumAll(m.numbers()), await m.sumAll(new Set([4, 5]))]);
      assert.ok(activeSpan() === outer);
    });
    if (tracer) assert.ok(tracer.byName('sumAll').every((s) => s.finishCount === 1));
  }
  setTracer(undefined);
  assert.equal(outcomes[1], outcomes[0]);
});
c63.run();

const QUEUE = 256;
const BATCH = 128;
/** Runs fixtures/exporter-child.ts for `seconds` against a refused OTLP endpoint; returns its JSON line. */
async function exporterRun(seconds: number): Promise<ExporterRun> {
  const { status, stderr, run } = await runExporterChild(seconds, {
    OTEL_BSP_MAX_QUEUE_SIZE: String(QUEUE),
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(BATCH),
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
  assert.is(status, 0, `~> the app exited 0 (stderr: ${stderr.slice(0, 400)})`);
  return run;
}

const c64 = suite('C4.64 exporter unreachable under load');
c64('C4.64 OTLP endpoint refusing connections for 8 s of load (60 s: npm run soak): host-identical, no escape, heap flat', async () => {
  const run = await exporterRun(8);
  assert.is(run.tracer, 'BridgeTracer', '~> spans went to OpenTelemetry');
  assert.ok(run.requests > 200, `~> ${run.requests} requests under load`);
  assert.is(run.mismatches, 0, '~> every reply as expected');
  assert.equal([run.unhandled, run.uncaught], [0, 0], '~> no unhandled rejection or uncaught exception');
  assert.ok(run.registered > 1000, `~> ${run.registered} spans started`);
  const growth = run.heap.at(-1)! - run.heap[2];
  assert.ok(growth < 2 * 1024 * 1024, `~> heap grew ${(growth / 1024).toFixed(0)} KiB from second 2 to the end`);
  // The batch processor's queue plus the batches the exporter may keep open (each retried for seconds), and the
  // spans of requests still running when the load stops.
  const bound = QUEUE + EXPORTS_IN_FLIGHT * BATCH + 16;
  assert.ok(run.retained <= bound, `~> ${run.retained} spans still held after the run (bound ${bound})`);
  console.log(`C4.64 ${run.requests} requests in 8 s, ${run.registered} spans, ${run.retained} held at the end, heap MiB ${run.heap.map((h) => (h / 2 ** 20).toFixed(1)).join(' ')}`);
});
c64.run();
