/**
 * Fastify request spans through the `fastifyTracing` plugin, on a real server on 127.0.0.1 driven by a real
 * HTTP client.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fastifyTracing, getSpan, type FastifyTracingOptions } from '../../../src/runtime/servers/fastify';
import { activeSpan } from '../../../src/runtime/scope';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { installRecordingTracer, type RecordingTracer } from '../../helpers/mock-tracer';
import { abortMidResponse, checkIsolation, concurrently, send, tagRequestId, until, work } from './helpers';

/** The same app with or without tracing: a prefixed plugin with routes, errors of each kind, a hanging response. */
function buildApp(tracing: FastifyTracingOptions | false = {}): FastifyInstance {
  const app = Fastify();
  if (tracing !== false) app.register(fastifyTracing, tracing);
  app.register(
    async (api) => {
      api.get<{ Params: { id: string } }>('/users/:id', async (request) => `hello ${await work(request.params.id)}`);
      api.post<{ Body: { id: string } }>('/users', async (request) => `created ${await work(request.body.id)}`);
    },
    { prefix: '/api' },
  );
  app.get<{ Params: { code: string } }>('/status/:code', async (request, reply) => {
    reply.code(Number(request.params.code));
    return 'status';
  });
  app.get('/throw', () => {
    throw new TypeError('sync boom');
  });
  app.get('/reject', async () => {
    await new Promise((r) => setImmediate(r));
    throw new Error('async boom');
  });
  app.get('/validated', { schema: { querystring: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } }, async () => 'valid');
  app.get('/hang', (_request, reply) => {
    reply.hijack();
    reply.raw.write('first chunk');
  });
  app.get('/health', async () => (activeSpan() === undefined ? 'untraced' : 'traced'));
  app.get('/marked/:id', { config: { traced: ['params'] } }, async (request) =>
    getSpan(request) === activeSpan() && activeSpan() !== undefined ? 'traced' : 'untraced',
  );
  app.get('/unmarked', async () => (activeSpan() === undefined ? 'untraced' : 'traced'));
  return app;
}

async function serve(app: FastifyInstance, fn: (port: number) => Promise<void>): Promise<void> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  try {
    await fn(typeof address === 'object' && address ? address.port : 0);
  } finally {
    app.server.closeAllConnections();
    await app.close();
  }
}

const servers = (tracer: RecordingTracer) => tracer.started.filter((s) => s.tags['span.kind'] === 'server');
const settled = (tracer: RecordingTracer, n: number) => until(() => servers(tracer).filter((s) => s.finishCount > 0).length === n);

const test = suite('fastifyTracing');

test('names the span by the route template with its prefix, tags it, nests the handler work', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ startSpanCallback: tagRequestId }), async (port) => {
    const reply = await send(port, '/api/users/alice@example.com?token=S3CR3T', { headers: { 'x-request-id': 'f1' } });
    assert.is(reply.body, 'hello user-alice@example.com');
    await settled(tracer, 1);
    const [span] = servers(tracer);
    assert.is(span.name, 'GET /api/users/:id');
    assert.is(span.tags['http.route'], '/api/users/:id');
    assert.is(span.tags.component, 'fastify');
    assert.is(span.tags['http.url'], `http://127.0.0.1:${port}/api/users/alice@example.com`);
    assert.is(span.tags['http.status_code'], 200);
    assert.is(span.tags['request.id'], 'f1');
    await until(() => tracer.finished().length === 3);
    assert.equal(tracer.finished().map((s) => s.path).sort(), [
      'GET /api/users/:id',
      'GET /api/users/:id > manual',
      'GET /api/users/:id > manual > lookup',
    ]);
  });
});

test('the span stays active after the body is read (POST with a JSON body)', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp(), async (port) => {
    const body = JSON.stringify({ id: 'p1', padding: 'x'.repeat(200_000) });
    const reply = await send(port, '/api/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.is(reply.body, 'created user-p1');
    await until(() => tracer.finished().length === 3);
    assert.equal(tracer.finished().map((s) => s.path).sort(), ['POST /api/users', 'POST /api/users > manual', 'POST /api/users > manual > lookup']);
  });
});

test('a request no route matched is named by the method alone', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp(), async (port) => {
    assert.is((await send(port, '/nowhere/42')).status, 404);
    await settled(tracer, 1);
    assert.is(servers(tracer)[0].name, 'GET');
    assert.is(servers(tracer)[0].tags.error, undefined);
  });
});

test('excluded paths are not traced', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ excludedPaths: ['/health'] }), async (port) => {
    assert.is((await send(port, '/health')).body, 'untraced');
    assert.is((await send(port, '/unmarked')).body, 'traced');
    await settled(tracer, 1);
    assert.is(servers(tracer).length, 1);
  });
});

test('tracedAttributes are read from fastify\'s request', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ tracedAttributes: ['method', 'ip', 'url', 'hostname'] }), async (port) => {
    await send(port, '/api/users/7?token=S3CR3T&page=2');
    await settled(tracer, 1);
    const tags = servers(tracer)[0].tags;
    assert.is(tags.method, 'GET');
    assert.is(tags.ip, '127.0.0.1');
    assert.is(tags.url, '/api/users/7');
    assert.is(tags.hostname, '127.0.0.1');
  });
});

test('thrown errors and 5xx are errors, validation errors (400) are not', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp(), async (port) => {
    assert.is((await send(port, '/throw')).status, 500);
    assert.is((await send(port, '/reject')).status, 500);
    assert.is((await send(port, '/validated?n=abc')).status, 400);
    assert.is((await send(port, '/status/504')).status, 504);
    await settled(tracer, 4);
    const [sync, rejected, invalid, timeout] = servers(tracer);
    assert.is(sync.name, 'GET /throw');
    assert.is(sync.tags.error, true);
    assert.is(sync.logs.length, 1);
    assert.is(sync.logs[0].message, 'sync boom');
    assert.is(rejected.logs[0].message, 'async boom');
    assert.is(invalid.tags.error, undefined);
    assert.is(invalid.tags['http.status_code'], 400);
    assert.equal(timeout.logs, [{ event: 'error', message: 'HTTP status 504' }]);
  });
});

test('fastify\'s own error responses are unchanged by tracing', async () => {
  const paths = ['/throw', '/reject', '/validated?n=abc', '/status/503', '/nowhere'];
  const run = async (tracing: FastifyTracingOptions | false) => {
    const replies: unknown[] = [];
    await serve(buildApp(tracing), async (port) => {
      for (const p of paths) replies.push(await send(port, p).then((r) => [r.status, r.body, r.headers['content-type']]));
    });
    return replies;
  };
  const plain = await run(false);
  installRecordingTracer();
  assert.equal(await run({}), plain);
});

test('a client that goes away mid-response: finished once, marked aborted', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp(), async (port) => {
    for (let i = 0; i < 10; i++) await abortMidResponse(port, '/hang');
    await settled(tracer, 10);
    await new Promise((r) => setTimeout(r, 20));
    for (const span of servers(tracer)) {
      assert.is(span.finishCount, 1);
      assert.is(span.tags['http.aborted'], true);
      assert.is(span.name, 'GET /hang');
    }
  });
});

test('1,000 concurrent requests: each its own trace, children under their own request span', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ startSpanCallback: tagRequestId }), async (port) => {
    const replies = await concurrently(1000, (i) => send(port, `/api/users/${i}`, { headers: { 'x-request-id': String(i) } }));
    replies.forEach((r, i) => assert.is(r.body, `hello user-${i}`));
    await settled(tracer, 1000);
    await until(() => tracer.byName('lookup').filter((s) => s.finishCount > 0).length === 1000);
    assert.equal(checkIsolation(tracer, (s) => s.tags['span.kind'] === 'server', 1000), []);
  });
});

test('throwing startSpanCallback, operationName and tracer functions do no harm', async () => {
  let reference: unknown;
  await serve(buildApp(false), async (port) => {
    reference = await send(port, '/api/users/1').then((r) => [r.status, r.body]);
  });
  installRecordingTracer();
  resetFaults();
  const fail = () => {
    throw new Error('hook');
  };
  for (const tracing of [{ startSpanCallback: fail }, { operationName: fail }, { tracer: fail }] as FastifyTracingOptions[]) {
    await serve(buildApp(tracing), async (port) => {
      assert.equal(await send(port, '/api/users/1').then((r) => [r.status, r.body]), reference);
    });
  }
  const faults = faultCounts();
  assert.ok(faults['hook.startSpanCallback'] && faults['hook.operationName'] && faults['server.tracer']);
});

test('with traceAll false only routes with config.traced are traced, with their attributes', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ traceAll: false, tracedAttributes: ['method'] }), async (port) => {
    assert.is((await send(port, '/unmarked')).body, 'untraced');
    assert.is((await send(port, '/marked/9')).body, 'traced');
    await settled(tracer, 1);
    const [span] = servers(tracer);
    assert.is(span.name, 'GET /marked/:id');
    assert.is(span.tags.method, 'GET');
    assert.is(span.tags.params, '{"id":"9"}');
  });
});

test('its hooks reach the routes of other, encapsulated plugins (skip-override)', async () => {
  const tracer = installRecordingTracer();
  const app = Fastify();
  await app.register(fastifyTracing);
  await app.register(async (child) => {
    child.get('/inside', async () => (activeSpan() ? 'traced' : 'untraced'));
  });
  await serve(app, async (port) => {
    assert.is((await send(port, '/inside')).body, 'traced');
    await settled(tracer, 1);
  });
});

test.run();
