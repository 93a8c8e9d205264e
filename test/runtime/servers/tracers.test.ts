/**
 * The request span with real production tracers, which own their wire formats: jaeger-client reads
 * `uber-trace-id`, the OpenTelemetry bridge (`useOpenTelemetry`) reads W3C `traceparent`. Through express and
 * fastify on real servers: a valid header continues the caller's trace, a malformed one starts a new trace with the
 * same response, and a traced function in the handler is the request span's child.
 */
import { createServer } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { useOpenTelemetry } from '../../../src/otel';
import { tracingMiddleware } from '../../../src/runtime/servers/express';
import { fastifyTracing } from '../../../src/runtime/servers/fastify';
import { installJaegerTracer, type JaegerSpan } from '../../helpers/jaeger';
import { close, listen, lookup, send, until } from './helpers';

const T = '0af7651916cd43dd8448eb211c80319c';
const P = 'b7ad6b7169203331';

/** The two apps, each answering `/users/:id` with the traced `lookup`. */
const APPS = {
  async express() {
    const app = express();
    app.use(tracingMiddleware());
    app.get('/users/:id', (req, res, next) => {
      lookup(req.params.id).then((name) => res.send(name), next);
    });
    const server = createServer(app);
    return { port: await listen(server), stop: () => close(server) };
  },
  async fastify() {
    const app = Fastify();
    app.register(fastifyTracing);
    app.get<{ Params: { id: string } }>('/users/:id', (request) => lookup(request.params.id));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    return { port: typeof address === 'object' && address ? address.port : 0, stop: () => app.close() };
  },
};

const jaeger = suite('request spans with jaeger-client (uber-trace-id)');
const nameOf = (span: JaegerSpan) => span.operationName;

for (const [framework, start] of Object.entries(APPS)) {
  jaeger(`${framework}: a valid uber-trace-id continues the trace, a malformed one starts a new one`, async () => {
    const harness = installJaegerTracer();
    const app = await start();
    try {
      const continued = await send(app.port, '/users/1', { headers: { 'uber-trace-id': `${T}:${P}:0:1` } });
      const fresh = await send(app.port, '/users/1', { headers: { 'uber-trace-id': `${T}:zz:0:1` } });
      assert.equal([continued.status, continued.body], [200, 'user-1']);
      assert.equal([fresh.status, fresh.body], [continued.status, continued.body], '~> the same response');
      await until(() => harness.spans().length === 4);
      const servers = harness.spans().filter((s) => harness.tags(s)['span.kind'] === 'server');
      const lookups = harness.spans().filter((s) => nameOf(s) === 'lookup');
      assert.equal(servers.map(nameOf), ['GET /users/:id', 'GET /users/:id']);
      assert.is(servers[0].context().traceIdStr.padStart(32, '0'), T, '~> the caller\'s trace');
      assert.is(servers[0].context().parentIdStr, P, '~> under the caller\'s span');
      assert.is.not(servers[1].context().traceIdStr.padStart(32, '0'), T, '~> a new trace');
      for (let i = 0; i < 2; i++) {
        assert.is(lookups[i].context().parentIdStr, servers[i].context().spanIdStr, '~> the traced function is the request span\'s child');
      }
    } finally {
      await app.stop();
    }
  });
}

jaeger.run();

const otel = suite('request spans with the OpenTelemetry bridge (traceparent)');

const exporter = new InMemorySpanExporter();
let bridge: ReturnType<typeof useOpenTelemetry>;
otel.before(() => {
  bridge = useOpenTelemetry({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});
otel.after(() => bridge.shutdown());

for (const [framework, start] of Object.entries(APPS)) {
  otel(`${framework}: a valid traceparent continues the trace, a malformed one starts a new one`, async () => {
    exporter.reset();
    const app = await start();
    try {
      const continued = await send(app.port, '/users/2', { headers: { traceparent: `00-${T}-${P}-01` } });
      const fresh = await send(app.port, '/users/2', { headers: { traceparent: `00-${T.toUpperCase()}-${P}-01` } });
      assert.equal([continued.status, continued.body], [200, 'user-2']);
      assert.equal([fresh.status, fresh.body], [continued.status, continued.body], '~> the same response');
      await until(() => exporter.getFinishedSpans().length === 4);
      const spans = exporter.getFinishedSpans();
      const servers = spans.filter((s) => s.attributes['span.kind'] === 'server' || s.name.startsWith('GET'));
      const lookups = spans.filter((s) => s.name === 'lookup');
      assert.equal(servers.map((s) => s.name), ['GET /users/:id', 'GET /users/:id']);
      assert.is(servers[0].spanContext().traceId, T, '~> the caller\'s trace');
      assert.is(servers[0].parentSpanContext?.spanId, P, '~> under the caller\'s span');
      assert.is.not(servers[1].spanContext().traceId, T, '~> a new trace');
      assert.is(servers[1].parentSpanContext, undefined);
      assert.is(servers[0].attributes['http.method'], 'GET');
      for (let i = 0; i < 2; i++) {
        assert.is(lookups[i].parentSpanContext?.spanId, servers[i].spanContext().spanId, '~> the traced function is the request span\'s child');
      }
    } finally {
      await app.stop();
    }
  });
}

otel.run();
