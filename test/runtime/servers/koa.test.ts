/**
 * Koa request spans with @koa/router, on a real server on 127.0.0.1 driven by a real HTTP client.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { getSpan, koaTracing, traceRoute, type KoaTracingOptions } from '../../../src/runtime/servers/koa';
import { activeSpan } from '../../../src/runtime/scope';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { installRecordingTracer, type RecordingTracer } from '../../helpers/mock-tracer';
import { abortMidResponse, checkIsolation, close, concurrently, listen, send, tagRequestId, until, work } from './helpers';

/** The same app with or without tracing: a prefixed router, thrown errors of each kind, a response that hangs. */
function buildApp(tracing: KoaTracingOptions | false = {}) {
  const app = new Koa();
  app.silent = true; // koa would print every 5xx error to stderr
  if (tracing !== false) app.use(koaTracing(tracing));
  const api = new Router({ prefix: '/api' });
  api.get('/users/:id', async (ctx) => {
    ctx.body = `hello ${await work(ctx.params.id)}`;
  });
  const root = new Router();
  root.get('/status/:code', (ctx) => {
    ctx.status = Number(ctx.params.code);
    ctx.body = 'status';
  });
  root.get('/throw', () => {
    throw new TypeError('sync boom');
  });
  root.get('/reject', async () => {
    await new Promise((r) => setImmediate(r));
    throw new Error('async boom');
  });
  root.get('/client-error', (ctx) => ctx.throw(422, 'bad input'));
  root.get('/hang', (ctx) => {
    ctx.respond = false;
    ctx.res.write('first chunk');
  });
  root.get('/health', (ctx) => {
    ctx.body = activeSpan() === undefined ? 'untraced' : 'traced';
  });
  root.get('/marked/:id', traceRoute(['path']), (ctx) => {
    ctx.body = getSpan(ctx) === activeSpan() && activeSpan() !== undefined ? 'traced' : 'untraced';
  });
  root.get('/unmarked', (ctx) => {
    ctx.body = activeSpan() === undefined ? 'untraced' : 'traced';
  });
  app.use(api.routes()).use(root.routes());
  return app;
}

async function serve(app: Koa, fn: (port: number) => Promise<void>): Promise<void> {
  const server = createServer(app.callback());
  const port = await listen(server);
  try {
    await fn(port);
  } finally {
    await close(server);
  }
}

const servers = (tracer: RecordingTracer) => tracer.started.filter((s) => s.tags['span.kind'] === 'server');
const settled = (tracer: RecordingTracer, n: number) => until(() => servers(tracer).filter((s) => s.finishCount > 0).length === n);

const test = suite('koaTracing');

test('names the span by the router template with its prefix, tags it, nests the handler work', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ startSpanCallback: tagRequestId }), async (port) => {
    const reply = await send(port, '/api/users/alice@example.com?token=S3CR3T', { headers: { 'x-request-id': 'k1' } });
    assert.is(reply.body, 'hello user-alice@example.com');
    await settled(tracer, 1);
    const [span] = servers(tracer);
    assert.is(span.name, 'GET /api/users/:id');
    assert.is(span.tags['http.route'], '/api/users/:id');
    assert.is(span.tags.component, 'koa');
    assert.is(span.tags['http.url'], `http://127.0.0.1:${port}/api/users/alice@example.com`);
    assert.is(span.tags['http.status_code'], 200);
    assert.is(span.tags['request.id'], 'k1', '~> startSpanCallback receives the context');
    await until(() => tracer.finished().length === 3);
    assert.equal(tracer.finished().map((s) => s.path).sort(), [
      'GET /api/users/:id',
      'GET /api/users/:id > manual',
      'GET /api/users/:id > manual > lookup',
    ]);
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
  await serve(buildApp({ excludedPaths: [/^\/health$/] }), async (port) => {
    assert.is((await send(port, '/health')).body, 'untraced');
    assert.is((await send(port, '/unmarked')).body, 'traced');
    await settled(tracer, 1);
    assert.is(servers(tracer).length, 1);
  });
});

test('tracedAttributes are read from the context', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ tracedAttributes: ['path', 'method', 'ip', 'querystring', 'href'] }), async (port) => {
    await send(port, '/api/users/7?token=S3CR3T&page=2');
    await settled(tracer, 1);
    const tags = servers(tracer)[0].tags;
    assert.is(tags.path, '/api/users/7');
    assert.is(tags.method, 'GET');
    assert.is(tags.ip, '127.0.0.1');
    assert.is(tags.querystring, '?token=REDACTED&page=2');
    assert.is(tags.href, `http://127.0.0.1:${port}/api/users/7`);
  });
});

test('thrown errors and 5xx are errors, 4xx (ctx.throw(422)) is not', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp(), async (port) => {
    assert.is((await send(port, '/throw')).status, 500);
    assert.is((await send(port, '/reject')).status, 500);
    assert.is((await send(port, '/client-error')).status, 422);
    assert.is((await send(port, '/status/503')).status, 503);
    await settled(tracer, 4);
    const [sync, rejected, client, unavailable] = servers(tracer);
    assert.is(sync.name, 'GET /throw');
    assert.is(sync.tags.error, true);
    assert.is(sync.logs.length, 1);
    assert.is(sync.logs[0].message, 'sync boom');
    assert.is(rejected.logs[0].message, 'async boom');
    assert.is(client.tags.error, undefined);
    assert.is(client.tags['http.status_code'], 422);
    assert.equal(unavailable.logs, [{ event: 'error', message: 'HTTP status 503' }]);
  });
});

test('koa\'s own error responses and error events are unchanged by tracing', async () => {
  const paths = ['/throw', '/reject', '/client-error', '/status/503', '/nowhere'];
  const run = async (tracing: KoaTracingOptions | false) => {
    const app = buildApp(tracing);
    const events: unknown[] = [];
    app.on('error', (error: Error) => events.push(error.message));
    const replies: unknown[] = [];
    await serve(app, async (port) => {
      for (const p of paths) replies.push(await send(port, p).then((r) => [r.status, r.body, r.headers['content-type']]));
    });
    return { replies, events };
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
  for (const tracing of [{ startSpanCallback: fail }, { operationName: fail }, { tracer: fail }] as KoaTracingOptions[]) {
    await serve(buildApp(tracing), async (port) => {
      assert.equal(await send(port, '/api/users/1').then((r) => [r.status, r.body]), reference);
    });
  }
  const faults = faultCounts();
  assert.ok(faults['hook.startSpanCallback'] && faults['hook.operationName'] && faults['server.tracer']);
});

test('a hand-made context without Node\'s request (a unit test\'s) just runs the next middleware', async () => {
  installRecordingTracer();
  const middleware = koaTracing();
  assert.is(await middleware({} as never, async () => 'next ran'), 'next ran');
  assert.is(await traceRoute()({} as never, async () => 'next ran'), 'next ran');
});

test.run();

const route = suite('traceRoute (koa)');

route('with traceAll false only marked routes are traced, with their attributes', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp({ traceAll: false, tracedAttributes: ['method'] }), async (port) => {
    assert.is((await send(port, '/unmarked')).body, 'untraced');
    assert.is((await send(port, '/marked/9')).body, 'traced');
    await settled(tracer, 1);
    const [span] = servers(tracer);
    assert.is(span.name, 'GET /marked/:id');
    assert.is(span.tags.method, 'GET');
    assert.is(span.tags.path, '/marked/9');
  });
});

route('a marked route that throws is tagged and koa answers as usual', async () => {
  const tracer = installRecordingTracer();
  const app = new Koa();
  app.silent = true;
  app.use(koaTracing({ traceAll: false }));
  const router = new Router();
  router.get('/boom', traceRoute(), () => {
    throw new Error('marked boom');
  });
  app.use(router.routes());
  await serve(app, async (port) => {
    const reply = await send(port, '/boom');
    assert.equal([reply.status, reply.body], [500, 'Internal Server Error']);
    await settled(tracer, 1);
    assert.is(servers(tracer)[0].logs[0].message, 'marked boom');
  });
});

route('on an already traced request it adds its attributes', async () => {
  const tracer = installRecordingTracer();
  await serve(buildApp(), async (port) => {
    assert.is((await send(port, '/marked/3')).body, 'traced');
    await settled(tracer, 1);
    assert.is(servers(tracer).length, 1);
    assert.is(servers(tracer)[0].tags.path, '/marked/3');
  });
});

route.run();
