/**
 * Express request spans, on express 4 (the `express4` alias) and express 5, each on a real server on 127.0.0.1
 * driven by a real HTTP client. Every suite runs once per major version.
 */
import { createServer, request as httpRequest } from 'node:http';
import express5 from 'express';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { getSpan, traceRoute, tracingErrorHandler, tracingMiddleware, type ExpressTracingOptions } from '../../../src/runtime/servers/express';
import { activeSpan } from '../../../src/runtime/scope';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { installRecordingTracer, type RecordingTracer } from '../../helpers/mock-tracer';
import { abortMidResponse, checkIsolation, close, concurrently, listen, send, tagRequestId, until, work } from './helpers';

// express 4 ships without types; its API used here is the same as express 5's.
const express4 = require('express4') as typeof express5;
const VERSIONS = [
  ['express 4', express4],
  ['express 5', express5],
] as const;

interface AppOptions {
  readonly tracing?: ExpressTracingOptions | false;
  readonly errorHandler?: boolean;
  readonly env?: string;
}

/** The same app with or without tracing: routes in a mounted router, errors of each kind, a response that hangs. */
function buildApp(express: typeof express5, { tracing = {}, errorHandler = tracing !== false, env = 'test' }: AppOptions = {}) {
  const app = express();
  app.set('env', env);
  if (tracing !== false) app.use(tracingMiddleware(tracing));
  const api = express.Router();
  api.get('/users/:id', (req, res, next) => {
    work(req.params.id).then((name) => res.send(`hello ${name}`), next);
  });
  api.get('/fail/:id', () => {
    throw new RangeError('mounted boom');
  });
  app.use('/api', api);
  app.get('/status/:code', (req, res) => {
    res.status(Number(req.params.code)).send('status');
  });
  app.get('/throw', () => {
    throw new TypeError('sync boom');
  });
  app.get('/reject', (_req, _res, next) => {
    Promise.reject(new Error('async boom')).catch(next);
  });
  app.get('/client-error', (_req, _res, next) => next(Object.assign(new Error('bad input'), { status: 422 })));
  app.get('/late', (_req, res) => {
    res.write('partial');
    throw new Error('late boom');
  });
  app.get('/hang', (_req, res) => {
    res.write('first chunk');
  });
  app.get('/health', (_req, res) => {
    res.send(activeSpan() === undefined ? 'untraced' : 'traced');
  });
  app.get('/marked/:id', traceRoute(['params']), (req, res) => {
    res.send(getSpan(req) === activeSpan() && activeSpan() !== undefined ? 'traced' : 'untraced');
  });
  app.get('/unmarked', (_req, res) => {
    res.send(activeSpan() === undefined ? 'untraced' : 'traced');
  });
  if (errorHandler) app.use(tracingErrorHandler());
  return app;
}

async function serve(app: ReturnType<typeof express5>, fn: (port: number) => Promise<void>): Promise<void> {
  const server = createServer(app);
  const port = await listen(server);
  try {
    await fn(port);
  } finally {
    await close(server);
  }
}

const servers = (tracer: RecordingTracer) => tracer.started.filter((s) => s.tags['span.kind'] === 'server');
const settled = (tracer: RecordingTracer, n: number) => until(() => servers(tracer).filter((s) => s.finishCount > 0).length === n);
/** The error page without its stack frames (they differ by the middleware frames between, not at the throw). */
const page = (body: string) => body.replace(/<br> &nbsp; &nbsp;at [^<]*/g, '');

for (const [version, express] of VERSIONS) {
  const test = suite(`tracingMiddleware (${version})`);

  test('names the span by the route template with the router mount, tags it, nests the handler work', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express, { tracing: { startSpanCallback: tagRequestId } }), async (port) => {
      const reply = await send(port, '/api/users/alice@example.com?token=S3CR3T', { headers: { 'x-request-id': 'x1' } });
      assert.is(reply.body, 'hello user-alice@example.com');
      await settled(tracer, 1);
      const [span] = servers(tracer);
      assert.is(span.name, 'GET /api/users/:id', '~> the template, never the raw path');
      assert.is(span.tags['http.route'], '/api/users/:id');
      assert.is(span.tags.component, 'express');
      assert.is(span.tags['http.url'], `http://127.0.0.1:${port}/api/users/alice@example.com`);
      assert.is(span.tags['http.status_code'], 200);
      assert.is(span.tags['peer.ipv4'], '127.0.0.1');
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
    await serve(buildApp(express), async (port) => {
      assert.is((await send(port, '/nowhere/42')).status, 404);
      await settled(tracer, 1);
      assert.is(servers(tracer)[0].name, 'GET');
      assert.is(servers(tracer)[0].tags.error, undefined);
    });
  });

  test('excluded paths are not traced and nothing is active in them', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express, { tracing: { excludedPaths: ['/health'] } }), async (port) => {
      assert.is((await send(port, '/health')).body, 'untraced');
      assert.is((await send(port, '/unmarked')).body, 'traced');
      await settled(tracer, 1);
      assert.is(servers(tracer).length, 1);
    });
  });

  test('tracedAttributes are read from express\'s request', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express, { tracing: { tracedAttributes: ['path', 'method', 'ip', 'originalUrl', 'query'] } }), async (port) => {
      await send(port, '/api/users/7?token=S3CR3T&page=2');
      await settled(tracer, 1);
      const tags = servers(tracer)[0].tags;
      assert.is(tags.path, '/api/users/7');
      assert.is(tags.method, 'GET');
      assert.is(tags.ip, '127.0.0.1');
      assert.is(tags.originalUrl, '/api/users/7');
      assert.is(tags.query, '{"token":"REDACTED","page":"2"}');
    });
  });

  test('4xx is not an error, 5xx is; the error handler adds the thrown error, a 4xx-status error is not tagged', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express), async (port) => {
      assert.is((await send(port, '/status/404')).status, 404);
      assert.is((await send(port, '/status/502')).status, 502);
      assert.is((await send(port, '/throw')).status, 500);
      assert.is((await send(port, '/client-error')).status, 422);
      await settled(tracer, 4);
      const [notFound, badGateway, thrown, client] = servers(tracer);
      assert.is(notFound.tags.error, undefined);
      assert.is(badGateway.tags.error, true);
      assert.equal(badGateway.logs, [{ event: 'error', message: 'HTTP status 502' }]);
      assert.is(thrown.name, 'GET /throw');
      assert.is(thrown.tags.error, true);
      assert.is(thrown.logs.length, 1, '~> one log: the error itself');
      assert.is(thrown.logs[0].message, 'sync boom');
      assert.is(thrown.logs[0]['error.kind'], 'TypeError');
      assert.is(client.tags.error, undefined, '~> 422 is the client\'s error');
    });
  });

  test('an error out of a mounted router keeps the mount in the name', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express), async (port) => {
      assert.is((await send(port, '/api/fail/7')).status, 500);
      await settled(tracer, 1);
      assert.is(servers(tracer)[0].name, 'GET /api/fail/:id');
      assert.is(servers(tracer)[0].logs[0].message, 'mounted boom');
    });
  });

  test('express\'s own error responses are unchanged by tracing', async () => {
    const paths = ['/throw', '/reject', '/api/fail/1', '/client-error', '/status/503', '/nowhere'];
    for (const env of ['test', 'production']) {
      const plain: unknown[] = [];
      const traced: unknown[] = [];
      await serve(buildApp(express, { tracing: false, env }), async (port) => {
        for (const p of paths) plain.push(await send(port, p).then((r) => [r.status, page(r.body)]));
      });
      installRecordingTracer();
      await serve(buildApp(express, { env }), async (port) => {
        for (const p of paths) traced.push(await send(port, p).then((r) => [r.status, page(r.body)]));
      });
      assert.equal(traced, plain, `~> identical in env ${env}`);
    }
  });

  test('a 4-arity error middleware of the app still receives the error', async () => {
    installRecordingTracer();
    const app = buildApp(express);
    app.use((error: Error, _req: unknown, res: { status(n: number): { send(b: string): void } }, _next: unknown) => {
      res.status(418).send(`handled ${error.message}`);
    });
    await serve(app, async (port) => {
      const reply = await send(port, '/throw');
      assert.equal([reply.status, reply.body], [418, 'handled sync boom']);
    });
  });

  test('an error after the headers were sent: express drops the connection, the span finishes once with the error', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express), async (port) => {
      await new Promise<void>((done) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/late', agent: false }, (res) => {
          res.resume();
          res.on('close', done);
        });
        req.on('error', () => done());
        req.end();
      });
      await settled(tracer, 1);
      await new Promise((r) => setTimeout(r, 20));
      const [span] = servers(tracer);
      assert.is(span.finishCount, 1);
      assert.is(span.tags.error, true);
      assert.is(span.logs.length, 1);
      assert.is(span.logs[0].message, 'late boom');
      assert.is(span.tags['http.aborted'], true, '~> the response never finished');
    });
  });

  test('a client that goes away mid-response: finished once, marked aborted', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express), async (port) => {
      for (let i = 0; i < 10; i++) await abortMidResponse(port, '/hang');
      await settled(tracer, 10);
      await new Promise((r) => setTimeout(r, 20));
      for (const span of servers(tracer)) {
        assert.is(span.finishCount, 1);
        assert.is(span.tags['http.aborted'], true);
        assert.is(span.tags.error, true);
        assert.is(span.name, 'GET /hang');
      }
    });
  });

  test('1,000 concurrent requests: each its own trace, children under their own request span', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express, { tracing: { startSpanCallback: tagRequestId } }), async (port) => {
      const replies = await concurrently(1000, (i) => send(port, `/api/users/${i}`, { headers: { 'x-request-id': String(i) } }));
      replies.forEach((r, i) => assert.is(r.body, `hello user-${i}`));
      await settled(tracer, 1000);
      await until(() => tracer.byName('lookup').filter((s) => s.finishCount > 0).length === 1000);
      assert.equal(checkIsolation(tracer, (s) => s.tags['span.kind'] === 'server', 1000), []);
    });
  });

  test('throwing startSpanCallback, operationName and tracer functions do no harm', async () => {
    let reference: unknown;
    await serve(buildApp(express, { tracing: false }), async (port) => {
      reference = await send(port, '/api/users/1').then((r) => [r.status, r.body]);
    });
    installRecordingTracer();
    resetFaults();
    const fail = () => {
      throw new Error('hook');
    };
    for (const tracing of [{ startSpanCallback: fail }, { operationName: fail }, { tracer: fail }] as ExpressTracingOptions[]) {
      await serve(buildApp(express, { tracing }), async (port) => {
        assert.equal(await send(port, '/api/users/1').then((r) => [r.status, r.body]), reference);
      });
    }
    const faults = faultCounts();
    assert.ok(faults['hook.startSpanCallback'] && faults['hook.operationName'] && faults['server.tracer']);
  });

  test.run();

  const route = suite(`traceRoute (${version})`);

  route('with traceAll false only marked routes are traced, with their attributes', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express, { tracing: { traceAll: false, tracedAttributes: ['method'] } }), async (port) => {
      assert.is((await send(port, '/unmarked')).body, 'untraced');
      assert.is((await send(port, '/marked/9')).body, 'traced');
      await settled(tracer, 1);
      const [span] = servers(tracer);
      assert.is(span.name, 'GET /marked/:id');
      assert.is(span.tags.method, 'GET', '~> the app\'s attributes');
      assert.is(span.tags.params, '{"id":"9"}', '~> and the route\'s');
    });
  });

  route('on an already traced request it adds its attributes to the request span', async () => {
    const tracer = installRecordingTracer();
    await serve(buildApp(express), async (port) => {
      assert.is((await send(port, '/marked/3')).body, 'traced');
      await settled(tracer, 1);
      assert.is(servers(tracer).length, 1);
      assert.is(servers(tracer)[0].tags.params, '{"id":"3"}');
    });
  });

  route('without the app middleware it traces the route with the defaults', async () => {
    const tracer = installRecordingTracer();
    const app = express();
    app.get('/only/:id', traceRoute(), (_req, res) => {
      res.send(activeSpan() ? 'traced' : 'untraced');
    });
    await serve(app, async (port) => {
      assert.is((await send(port, '/only/1')).body, 'traced');
      await settled(tracer, 1);
      assert.is(servers(tracer)[0].name, 'GET /only/:id');
    });
  });

  route.run();
}
