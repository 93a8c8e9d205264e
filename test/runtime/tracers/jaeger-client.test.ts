/**
 * jaeger-client, as it is, as the runtime's tracer: span structure by jaeger's own ids, error tags, baggage,
 * and a real HTTP round trip on 127.0.0.1 (client wrapper → server handler) carried in jaeger's own
 * `uber-trace-id` and `uberctx-*` headers.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP } from 'opentracing';
import { http as httpClient } from '../../../src/runtime/clients/http';
import { getBaggage, setBaggage, withChildSpan } from '../../../src/runtime/context';
import { traceHandler } from '../../../src/runtime/servers/http';
import { traced } from '../../../src/runtime/traced';
import { installJaegerTracer, type JaegerHarness, type JaegerSpan } from '../../helpers/jaeger';

const tick = () => new Promise<void>((r) => setImmediate(r));
const inner = traced({ name: 'inner' })(function inner() {
  return getBaggage('tenant');
});
const outer = traced({ name: 'outer' })(async function outer() {
  await tick();
  return inner();
});
const ids = (s: JaegerSpan) => s.context();

const structure = suite('jaeger-client structure');
structure('traced functions nest by jaeger\'s own trace, span and parent ids', async () => {
  const jaeger = installJaegerTracer();
  await outer();
  const [o, i] = [jaeger.byName('outer'), jaeger.byName('inner')];
  assert.is(ids(i).traceIdStr, ids(o).traceIdStr);
  assert.is(ids(i).parentIdStr, ids(o).spanIdStr);
  assert.not.ok(ids(o).parentIdStr, '~> outer is a root');
  assert.is(jaeger.tags(o)['code.function'], 'outer');
});
structure('an error is tagged error=true with an error log, and the caller gets it unchanged', async () => {
  const jaeger = installJaegerTracer();
  const failure = new TypeError('bad input');
  const failing = traced({ name: 'failing' })(async () => {
    throw failure;
  });
  await failing().then(assert.unreachable, (e) => assert.is(e, failure));
  const span = jaeger.byName('failing');
  assert.is(jaeger.tags(span).error, true);
  const fields = Object.fromEntries(span._logs[0].fields.map((f) => [f.key, f.value]));
  assert.is(fields.event, 'error');
  assert.is(fields.message, 'bad input');
});
structure('baggage set on the active span reaches traced children', async () => {
  installJaegerTracer();
  const seen = await withChildSpan('request', () => {
    setBaggage('tenant', 'acme');
    return outer();
  });
  assert.is(seen, 'acme');
});
structure.run();

const wire = suite('jaeger-client inject/extract');
wire('text map round trip: uber-trace-id and uberctx-* headers, read back by the same tracer', () => {
  const jaeger = installJaegerTracer();
  const carrier: Record<string, string> = {};
  withChildSpan('sender', (span) => {
    span.setBaggageItem('user', 'u1');
    jaeger.tracer.inject(span.context(), FORMAT_TEXT_MAP, carrier);
  });
  const sender = ids(jaeger.byName('sender'));
  assert.match(carrier['uber-trace-id'], new RegExp(`^${sender.traceIdStr}:${sender.spanIdStr}:0:1$`));
  assert.is(carrier['uberctx-user'], 'u1');
  const remote = jaeger.tracer.extract(FORMAT_TEXT_MAP, carrier)!;
  withChildSpan('receiver', () => assert.is(getBaggage('user'), 'u1'), { childOf: remote });
  assert.is(ids(jaeger.byName('receiver')).parentIdStr, sender.spanIdStr);
});

let server: Server;
let jaeger: JaegerHarness;
let received: IncomingHttpHeaders | undefined;
wire.before(async () => {
  httpClient.install();
  const handle = traced({ name: 'handle' })(function handle() {
    return `tenant=${getBaggage('tenant')}`;
  });
  server = createServer(
    traceHandler((req, res) => {
      received = req.headers;
      res.end(handle());
    }, { route: '/orders' }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
wire.after(() => {
  httpClient.uninstall();
  return new Promise<void>((r) => server.close(() => r()));
});
wire('a real HTTP round trip: client span → server span → traced handler, one jaeger trace, baggage across', async () => {
  jaeger = installJaegerTracer();
  const port = (server.address() as AddressInfo).port;
  const body = await withChildSpan('checkout', () => {
    setBaggage('tenant', 'acme');
    return new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/orders' }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
  });
  assert.is(body, 'tenant=acme', '~> baggage reached the handler');
  for (let i = 0; i < 10 && jaeger.spans().length < 4; i++) await tick();
  const spans = jaeger.spans();
  const checkout = spans.find((s) => s.operationName === 'checkout')!;
  const client = spans.find((s) => jaeger.tags(s)['span.kind'] === 'client')!;
  const serverSpan = spans.find((s) => jaeger.tags(s)['span.kind'] === 'server')!;
  const handle = spans.find((s) => s.operationName === 'handle')!;
  assert.ok(checkout && client && serverSpan && handle, `~> spans: ${spans.map((s) => s.operationName).join(', ')}`);
  assert.is(new Set(spans.map((s) => ids(s).traceIdStr)).size, 1, '~> one trace');
  assert.is(ids(client).parentIdStr, ids(checkout).spanIdStr);
  assert.is(ids(serverSpan).parentIdStr, ids(client).spanIdStr, '~> the server continued the client span');
  assert.is(ids(handle).parentIdStr, ids(serverSpan).spanIdStr);
  assert.match(String(received?.['uber-trace-id']), new RegExp(`^${ids(client).traceIdStr}:${ids(client).spanIdStr}:`));
  assert.is(received?.['uberctx-tenant'], 'acme');
  assert.is(received?.traceparent, undefined, '~> the tracer\'s own format only');
});
wire('a malformed uber-trace-id starts a new trace, never a throw', () => {
  for (const value of ['', 'garbage', 'x:y:z:w', '0:0:0:1']) {
    const context = jaeger.tracer.extract(FORMAT_HTTP_HEADERS, { 'uber-trace-id': value });
    const span = jaeger.tracer.startSpan('after-bad-header', context ? { childOf: context } : {});
    span.finish();
    assert.not.ok((span as JaegerSpan).context().parentIdStr, `~> ${value}`);
  }
});
wire.run();
