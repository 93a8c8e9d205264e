/**
 * useOpenTelemetry end to end: traced functions and OpenTelemetry's own spans in one trace, exported by the real
 * OTLP/HTTP exporter (JSON) to a collector in this process, which checks the tree by parent span ids.
 */
import { EventEmitter } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { context, propagation, trace, type Span as OtelSpan } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { FORMAT_HTTP_HEADERS, type Span } from 'opentracing';
import { useOpenTelemetry } from '../../../src/otel';
import { getBaggage, setBaggage, startSpan, withChildSpan } from '../../../src/runtime/context';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { traced } from '../../../src/runtime/traced';
import { startHttpReceiver, treeOf, type TraceReceiver } from '../../helpers/trace-receiver';

let receiver: TraceReceiver;
let bridge: ReturnType<typeof useOpenTelemetry>;
const app = () => trace.getTracer('app');
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Runs `fn`, flushes, and returns the spans that arrived for it (the receiver is emptied first). */
async function exported(count: number, fn: () => unknown, traces = 1): Promise<TraceReceiver['spans']> {
  receiver.spans.length = 0;
  await fn();
  await bridge.forceFlush();
  const spans = await receiver.waitForSpans(count);
  assert.is(spans.length, count, `~> exactly the spans of this case: ${spans.map((s) => `${s.name} ${JSON.stringify(s.attributes)}`).join('; ')}`);
  assert.is(new Set(spans.map((s) => s.traceId)).size, traces, '~> the traces of this case');
  return spans;
}

const inner = traced({ name: 'inner' })(function inner(x: number) {
  return x * 2;
});
const outer = traced({ name: 'outer' })(async function outer(x: number) {
  await tick();
  return inner(x) + 1;
});

const use = suite('useOpenTelemetry');
use.before(async () => {
  receiver = await startHttpReceiver();
  bridge = useOpenTelemetry({ serviceName: 'bridge-test', exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }) });
});
use.after(async () => {
  await bridge.shutdown();
  await receiver.close();
});

use('traced functions arrive over OTLP as one tree, with the service name', async () => {
  const spans = await exported(2, async () => assert.is(await outer(2), 5));
  assert.equal(treeOf(spans), { outer: '(root)', inner: 'outer' });
  assert.is(receiver.byName('outer').service, 'bridge-test');
  assert.is(receiver.byName('outer').attributes['code.function'], 'outer');
  assert.ok(receiver.contentTypes.every((t) => t.includes('application/json')), '~> the JSON encoding');
});

use('an OTel span started with startActiveSpan is the parent of a traced function', async () => {
  const spans = await exported(3, () =>
    app().startActiveSpan('otel-root', async (span) => {
      await outer(1);
      span.end();
    }),
  );
  assert.equal(treeOf(spans), { 'otel-root': '(root)', outer: 'otel-root', inner: 'outer' });
});

use('an OTel span started inside a traced function is its child, before and after awaits', async () => {
  let seen: OtelSpan | undefined;
  const handler = traced({ name: 'handler' })(async function handler() {
    seen = trace.getActiveSpan();
    app().startSpan('otel-before').end();
    await tick();
    await app().startActiveSpan('otel-after-await', async (span) => {
      await tick();
      inner(3);
      span.end();
    });
  });
  const spans = await exported(4, handler);
  assert.equal(treeOf(spans), {
    handler: '(root)',
    'otel-before': 'handler',
    'otel-after-await': 'handler',
    inner: 'otel-after-await',
  });
  assert.is(seen?.spanContext().spanId, receiver.byName('handler').spanId, '~> trace.getActiveSpan() is the traced span');
});

use('context.with and context.bind of OTel code carry the traced span, also to EventEmitter listeners', async () => {
  const emitter = new EventEmitter();
  const spans = await exported(3, () => {
    withChildSpan('owner', () => {
      context.bind(context.active(), emitter);
      emitter.on('ready', () => app().startSpan('listener').end());
      context.with(context.active(), () => app().startSpan('with').end());
    });
    emitter.emit('ready'); // outside any span: the bound listener still runs in the owner's context
  });
  assert.equal(treeOf(spans), { owner: '(root)', with: 'owner', listener: 'owner' });
});

use('errors become an error status and an exception event', async () => {
  const failing = traced({ name: 'failing' })(async function failing() {
    throw new RangeError('out of range');
  });
  await exported(1, () => failing().catch(() => undefined));
  const span = receiver.byName('failing');
  assert.is(span.statusCode, 2);
  const event = span.events.find((e) => e.name === 'exception');
  assert.is(event?.attributes['exception.message'], 'out of range');
  assert.is(event?.attributes['exception.type'], 'RangeError');
});

use('baggage is one thing: set with setBaggage, read by OTel; set by OTel, read with getBaggage', async () => {
  let otelSees: string | undefined;
  let tracedSees: string | undefined;
  await exported(2, () =>
    withChildSpan('baggage-owner', () => {
      setBaggage('tenant', 'acme');
      otelSees = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
      const withOtelBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ plan: { value: 'gold' } }));
      context.with(withOtelBaggage, () => withChildSpan('baggage-child', () => (tracedSees = getBaggage('plan'))));
    }),
  );
  assert.is(otelSees, 'acme');
  assert.is(tracedSees, 'gold');
});

use('inject writes a strict traceparent and baggage; extract continues the remote trace', async () => {
  const headers: Record<string, string> = {};
  const remoteTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  let serverBaggage: string | undefined;
  await exported(2, () => {
    withChildSpan('client', (span) => {
      span.setBaggageItem('user', 'u1');
      bridge.tracer.inject(span.context(), FORMAT_HTTP_HEADERS, headers);
    });
    const remote = bridge.tracer.extract(FORMAT_HTTP_HEADERS, {
      traceparent: `00-${remoteTrace}-00f067aa0ba902b7-01`,
      baggage: 'k=v',
    });
    withChildSpan('server', () => (serverBaggage = getBaggage('k')), { childOf: remote });
  }, 2);
  assert.is(headers.baggage, 'user=u1');
  assert.is(serverBaggage, 'v', '~> incoming baggage reaches the server span');
  assert.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.is(headers.traceparent.split('-')[2], receiver.byName('client').spanId);
  const server = receiver.byName('server');
  assert.is(server.traceId, remoteTrace);
  assert.is(server.parentSpanId, '00f067aa0ba902b7');
});

use('malformed incoming headers give no parent context (a new trace), never a throw', () => {
  for (const traceparent of ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'garbage', '']) {
    assert.is(bridge.tracer.extract(FORMAT_HTTP_HEADERS, { traceparent }), null, `~> ${traceparent}`);
  }
  assert.is(bridge.tracer.extract(FORMAT_HTTP_HEADERS, null as never), null);
});

use('activeSpan() inside startActiveSpan is that OTel span, wrapped as an OpenTracing span', () => {
  app().startActiveSpan('otel-active', (span) => {
    const shim = activeSpan() as Span & { getSpan(): OtelSpan };
    assert.is(shim.getSpan(), span);
    const child = startSpan('ot-child') as Span & { getSpan(): OtelSpan & { parentSpanContext?: { spanId: string } } };
    assert.is(child.getSpan().parentSpanContext?.spanId, span.spanContext().spanId);
    child.finish();
    span.end();
  });
  assert.is(activeSpan(), undefined, '~> nothing active afterwards');
  assert.is(trace.getActiveSpan(), undefined);
});

use('withSpan of a shim span makes it OTel-active too; leaving restores the root context', () => {
  const span = startSpan('manual');
  withSpan(span, () => {
    assert.is(trace.getActiveSpan(), (span as Span & { getSpan(): OtelSpan }).getSpan());
  });
  span.finish();
  assert.is(trace.getActiveSpan(), undefined);
});
use.run();
