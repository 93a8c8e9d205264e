/**
 * opentracing's own MockTracer, as it is (not the recording subclass in test/helpers), as the runtime's tracer:
 * set through `initGlobalTracer`, spans recorded and finished, structure by the references the runtime passes,
 * errors tagged, and its throwing `inject` (MockTracer does not implement it) harmless to an outgoing request.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import opentracing = require('opentracing');
import { http as httpClient } from '../../../src/runtime/clients/http';
import { startSpan, withChildSpan } from '../../../src/runtime/context';
import { faultCounts } from '../../../src/runtime/safe';
import { getTracer, setTracer } from '../../../src/runtime/tracer';
import { traced } from '../../../src/runtime/traced';

type MockSpan = ReturnType<opentracing.MockTracer['report']>['spans'][number];

/** The MockTracer, and the parent each span was started with (read from the references the runtime passed). */
function installMock(): { tracer: opentracing.MockTracer; parentOf: Map<MockSpan, MockSpan | undefined> } {
  const tracer = new opentracing.MockTracer();
  const parentOf = new Map<MockSpan, MockSpan | undefined>();
  const start = (tracer as unknown as { _startSpan: (n: string, f: opentracing.SpanOptions) => MockSpan })._startSpan;
  (tracer as unknown as { _startSpan: typeof start })._startSpan = function (name, fields) {
    const span = start.call(this, name, fields);
    const ref = fields.references?.find((r) => r.type() === opentracing.REFERENCE_CHILD_OF);
    parentOf.set(span, (ref?.referencedContext() as unknown as { _span?: MockSpan } | undefined)?._span);
    return span;
  };
  opentracing.initGlobalTracer(tracer);
  return { tracer, parentOf };
}

/** MockReport's list of spans never finished (public at run time, private in its typings). */
const unfinished = (tracer: opentracing.MockTracer) =>
  (tracer.report() as unknown as { unfinishedSpans: MockSpan[] }).unfinishedSpans.length;
const tick = () => new Promise<void>((r) => setImmediate(r));
const leaf = traced({ name: 'leaf' })(function leaf(n: number) {
  return n + 1;
});
const branch = traced({ name: 'branch' })(async function branch() {
  await tick();
  return leaf(1) + leaf(2);
});

const mock = suite('MockTracer');
mock('initGlobalTracer(new MockTracer()) is noticed: traced calls are recorded and all finished', async () => {
  const { tracer } = installMock();
  assert.is(getTracer(), tracer as opentracing.Tracer);
  assert.is(await branch(), 5);
  const report = tracer.report();
  assert.equal(report.spans.map((s) => s.operationName()), ['branch', 'leaf', 'leaf']);
  assert.is(unfinished(tracer), 0);
});
mock('each span is started as a child of the caller\'s span', async () => {
  const { tracer, parentOf } = installMock();
  await withChildSpan('root', () => branch());
  const [root, b, l1, l2] = tracer.report().spans;
  assert.equal([root, b, l1, l2].map((s) => s.operationName()), ['root', 'branch', 'leaf', 'leaf']);
  assert.is(parentOf.get(root), undefined);
  assert.is(parentOf.get(b), root);
  assert.is(parentOf.get(l1), b);
  assert.is(parentOf.get(l2), b);
});
mock('errors are tagged error=true and the span still finishes once', async () => {
  const { tracer } = installMock();
  const failing = traced({ name: 'failing' })(function failing() {
    throw new Error('nope');
  });
  assert.throws(() => failing(), /nope/);
  const report = tracer.report();
  assert.is(report.firstSpanWithTagValue('error', true)?.operationName(), 'failing');
  assert.is(unfinished(tracer), 0);
});
mock('startSpan tags and setTracer(undefined) turning recording off', () => {
  const { tracer } = installMock();
  const span = startSpan('manual');
  span.setTag('k', 'v').finish();
  assert.is(tracer.report().spans[0].tags().k, 'v');
  setTracer(undefined);
  leaf(1);
  assert.is(tracer.report().spans.length, 1, '~> nothing recorded once off');
});

let server: Server;
mock.before(async () => {
  server = createServer((req, res) => res.end(String(req.headers.traceparent ?? 'none')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  httpClient.install();
});
mock.after(() => {
  httpClient.uninstall();
  return new Promise<void>((r) => server.close(() => r()));
});
mock('its inject throws (not implemented): the request still goes out and succeeds, the fault is counted', async () => {
  const { tracer } = installMock();
  const before = faultCounts()['tracer.inject'] ?? 0;
  const port = (server.address() as AddressInfo).port;
  const body = await withChildSpan('caller', () =>
    new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    }),
  );
  assert.is(body, 'none', '~> no trace header, and no error');
  assert.is((faultCounts()['tracer.inject'] ?? 0) - before, 1);
  for (let i = 0; i < 10 && unfinished(tracer) > 0; i++) await tick();
  assert.is(tracer.report().spans.length, 2, '~> the caller and the client span');
  assert.is(unfinished(tracer), 0);
});
mock.run();
