/**
 * `node:http` request spans: `traceHandler` on real servers on 127.0.0.1, driven by real HTTP clients, and
 * `beforeRequest` / `getSpan`.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FORMAT_HTTP_HEADERS, Span, type Tracer } from 'opentracing';
import { beforeRequest, traceHandler } from '../../../src/runtime/servers/http';
import { getSpan } from '../../../src/runtime/servers/request-span';
import { activeSpan } from '../../../src/runtime/scope';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { setTracer } from '../../../src/runtime/tracer';
import { state } from '../../../src/runtime/state';
import { installRecordingTracer, RecordingTracer } from '../../helpers/mock-tracer';
import {
  abortMidResponse,
  checkIsolation,
  close,
  concurrently,
  listen,
  send,
  sendRaw,
  spanText,
  tagRequestId,
  until,
  work,
} from './helpers';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The handler every test serves: does the nested work, answers with something that never depends on tracing. */
const app: Handler = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname.startsWith('/status/')) {
    res.statusCode = Number(url.pathname.slice(8));
    res.end('status');
    return;
  }
  if (url.pathname === '/hang') {
    res.write('first chunk');
    return; // never ends: the client goes away
  }
  work(String(req.headers['x-request-id'] ?? '0')).then((name) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${name}`);
  });
};

async function serve(handler: Handler, fn: (port: number) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  const port = await listen(server);
  try {
    await fn(port);
  } finally {
    await close(server);
  }
}

const serverSpans = (tracer: RecordingTracer) => tracer.started.filter((s) => s.tags['span.kind'] === 'server');

const handler = suite('traceHandler');

handler('with no tracer set the handler runs untouched and no context storage is enabled', async () => {
  setTracer(undefined);
  let seen: unknown = 'unset';
  await serve(
    traceHandler((req, res) => {
      seen = activeSpan();
      res.end('plain');
    }),
    async (port) => {
      const reply = await send(port, '/x');
      assert.is(reply.body, 'plain');
    },
  );
  assert.is(seen, undefined, '~> no active span');
  assert.is(state.storage, undefined, '~> AsyncLocalStorage never created');
});

handler('one server span per request with the OpenTracing tags, finished once', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app), async (port) => {
    const reply = await send(port, '/users/42?token=S3CR3T&page=2', { headers: { 'x-request-id': 'a' } });
    assert.is(reply.status, 200);
    assert.is(reply.body, 'hello user-a');
    await until(() => serverSpans(tracer).every((s) => s.finishCount > 0));
    const [span] = serverSpans(tracer);
    assert.is(serverSpans(tracer).length, 1, '~> one server span');
    assert.is(span.name, 'GET', '~> named by the method alone: the raw path is never a name');
    assert.is(span.tags['span.kind'], 'server');
    assert.is(span.tags.component, 'http');
    assert.is(span.tags['http.method'], 'GET');
    assert.is(span.tags['http.url'], `http://127.0.0.1:${port}/users/42`, '~> query dropped by default');
    assert.is(span.tags['http.status_code'], 200);
    assert.is(span.tags['peer.ipv4'], '127.0.0.1');
    assert.type(span.tags['peer.port'], 'number');
    assert.is(span.tags.error, undefined);
    assert.is(span.finishCount, 1);
  });
});

handler('the span is active in the handler: a traced function and a hand-made child nest under it', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app, { startSpanCallback: tagRequestId }), async (port) => {
    await send(port, '/', { headers: { 'x-request-id': 'n1' } });
    await until(() => tracer.finished().length === 3);
    assert.equal(
      tracer.finished().map((s) => s.path).sort(),
      ['GET', 'GET > manual', 'GET > manual > lookup'],
    );
  });
});

handler('named by the route option', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app, { route: '/users/:id' }), async (port) => {
    await send(port, '/users/alice@example.com');
    await until(() => tracer.finished().some((s) => s.tags['span.kind'] === 'server'));
    const [span] = serverSpans(tracer);
    assert.is(span.name, 'GET /users/:id');
    assert.is(span.tags['http.route'], '/users/:id');
  });
});

handler('excluded paths get no span; a string excludes the path and below, a RegExp is tested', async () => {
  const tracer = installRecordingTracer();
  let activeOnExcluded: unknown = 'unset';
  const h = traceHandler(
    (req, res) => {
      if (req.url === '/health') activeOnExcluded = activeSpan();
      res.end('ok');
    },
    { excludedPaths: ['/health', /^\/metrics$/g] },
  );
  await serve(h, async (port) => {
    for (const path of ['/health', '/health/live?x=1', '/metrics', '/metrics', '/healthz', '/metrics/x']) {
      assert.is((await send(port, path)).body, 'ok');
    }
    await until(() => serverSpans(tracer).length === 2 && tracer.finished().length === 2);
    assert.equal(serverSpans(tracer).map((s) => s.tags['http.url']).map((u) => new URL(String(u)).pathname), ['/healthz', '/metrics/x']);
  });
  assert.is(activeOnExcluded, undefined, '~> nothing active on an excluded path');
});

handler('tracedAttributes become tags; path and ip come from the raw request', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app, { tracedAttributes: ['method', 'path', 'ip', 'httpVersion', 'url', 'headers', 'rawHeaders', 'cookies'] }), async (port) => {
    const headers = { authorization: 'Bearer S3CR3T', cookie: 'sid=S3CR3T', 'x-api-key': 'S3CR3T', baggage: 'userId=S3CR3T' };
    await send(port, '/a/b?token=S3CR3T', { headers });
    await until(() => serverSpans(tracer).length === 1 && serverSpans(tracer)[0].finishCount === 1);
    const tags = serverSpans(tracer)[0].tags;
    assert.is(tags.method, 'GET');
    assert.is(tags.path, '/a/b');
    assert.is(tags.ip, '127.0.0.1');
    assert.is(tags.httpVersion, '1.1');
    assert.is(tags.url, '/a/b', '~> the url attribute loses its query too');
    assert.match(String(tags.headers), '"authorization":"REDACTED"', '~> headers recorded, credentials redacted');
    assert.match(String(tags.rawHeaders), '"authorization","REDACTED"', '~> also in the raw name/value list');
    assert.match(String(tags.headers), '"baggage":"REDACTED"', '~> baggage members (user ids, tokens) redacted too');
    assert.not.match(spanText(tracer.started), 'S3CR3T', '~> no credential, cookie, api key or baggage anywhere');
  });
});

handler('http.url never carries credentials; urlQuery redact keeps only safe query values', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app, { urlQuery: 'redact' }), async (port) => {
    const target = `http://user:S3CR3T@127.0.0.1:${port}/x?token=S3CR3T&sig=S3CR3T&X-Goog-Signature=S3CR3T&AWSAccessKeyId=S3CR3T&api_key=S3CR3T&password=S3CR3T&page=2`;
    assert.is(await sendRaw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`), 200);
    await until(() => serverSpans(tracer).length === 1 && serverSpans(tracer)[0].finishCount === 1);
    const url = String(serverSpans(tracer)[0].tags['http.url']);
    assert.is(
      url,
      `http://127.0.0.1:${port}/x?token=REDACTED&sig=REDACTED&X-Goog-Signature=REDACTED&AWSAccessKeyId=REDACTED&api_key=REDACTED&password=REDACTED&page=2`,
    );
    assert.not.match(spanText(tracer.started), 'S3CR3T');
  });
});

handler('status >= 500 marks the span as an error with a log; 4xx does not', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app), async (port) => {
    assert.is((await send(port, '/status/503')).status, 503);
    assert.is((await send(port, '/status/404')).status, 404);
    await until(() => tracer.finished().length === 2);
    const [failed, missing] = serverSpans(tracer);
    assert.is(failed.tags.error, true);
    assert.is(failed.tags['http.status_code'], 503);
    assert.equal(failed.logs, [{ event: 'error', message: 'HTTP status 503' }]);
    assert.is(missing.tags.error, undefined, '~> a 404 is the client\'s error');
    assert.is(missing.tags['http.status_code'], 404);
  });
});

handler('a synchronous throw is tagged on the span and rethrown as the very same value', async () => {
  const tracer = installRecordingTracer();
  const thrown = new TypeError('handler broke');
  let caught: unknown;
  const traced = traceHandler((_req: IncomingMessage, _res: ServerResponse) => {
    throw thrown;
  });
  await serve(
    (req, res) => {
      try {
        traced(req, res);
      } catch (error) {
        caught = error;
        res.statusCode = 500;
        res.end('caught');
      }
    },
    async (port) => {
      const reply = await send(port, '/');
      assert.is(reply.body, 'caught');
    },
  );
  await until(() => tracer.finished().length === 1);
  assert.is(caught, thrown, '~> the same error object');
  const [span] = tracer.finished();
  assert.is(span.tags.error, true);
  assert.is(span.logs.length, 1, '~> one error log, not a second one for the 500');
  assert.is(span.logs[0]['error.object'], thrown);
  assert.is(span.logs[0].message, 'handler broke');
  assert.is(span.finishCount, 1);
});

handler('a client that goes away mid-response: the span finishes once, marked aborted', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app), async (port) => {
    for (let i = 0; i < 20; i++) await abortMidResponse(port, '/hang');
    await until(() => tracer.finished().length === 20);
    await new Promise((r) => setTimeout(r, 20));
    for (const span of serverSpans(tracer)) {
      assert.is(span.finishCount, 1, '~> finished exactly once');
      assert.is(span.tags['http.aborted'], true);
      assert.is(span.tags.error, true);
      assert.is(span.tags['http.status_code'], 200, '~> headers were sent, so the status is known');
    }
  });
});

handler('1,000 concurrent requests: each its own trace, no span crosses into another request', async () => {
  const tracer = installRecordingTracer();
  await serve(traceHandler(app, { startSpanCallback: tagRequestId }), async (port) => {
    const replies = await concurrently(1000, (i) => send(port, `/r/${i}`, { headers: { 'x-request-id': `r${i}` } }));
    replies.forEach((reply, i) => assert.is(reply.body, `hello user-r${i}`));
    await until(() => serverSpans(tracer).filter((s) => s.finishCount > 0).length === 1000);
    assert.equal(checkIsolation(tracer, (s) => s.tags['span.kind'] === 'server', 1000), []);
  });
});

handler('throwing startSpanCallback, operationName and tracer functions do no harm', async () => {
  const reference = await serveOnce(traceHandler(app), '/');
  installRecordingTracer();
  resetFaults();
  const hooks = [
    { startSpanCallback: () => { throw new Error('callback'); } },
    { operationName: () => { throw new Error('name'); } },
    { tracer: (): Tracer => { throw new Error('tracer'); } },
    { tracer: () => 42 as unknown as Tracer },
  ];
  for (const options of hooks) assert.equal(await serveOnce(traceHandler(app, options), '/'), reference);
  const faults = faultCounts();
  assert.ok(faults['hook.startSpanCallback'] >= 1 && faults['hook.operationName'] >= 1 && faults['server.tracer'] >= 2, '~> each reported');
});

handler('an extract that throws or returns garbage starts a new trace', async () => {
  for (const extract of [() => { throw new Error('extract'); }, () => 42, () => 'garbage', () => ({ bogus: true })]) {
    const tracer = new (class extends RecordingTracer {
      protected override _extract(): never {
        return extract() as never;
      }
    })();
    setTracer(tracer);
    const reply = await serveOnce(traceHandler(app), '/', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    assert.is(reply.body, 'hello user-0');
    await until(() => serverSpans(tracer).length === 1 && serverSpans(tracer)[0].finishCount === 1);
    assert.is(serverSpans(tracer)[0].parent, undefined, '~> a root span');
  }
});

handler('keeps the handler\'s name, length, this and return value', async () => {
  installRecordingTracer();
  const self = { marker: true };
  const original = function named(this: unknown, _req: IncomingMessage, res: ServerResponse) {
    res.end();
    return this;
  };
  const wrapped = traceHandler(original);
  assert.is(wrapped.name, 'named');
  assert.is(wrapped.length, 2);
  await serve(
    (req, res) => assert.is(wrapped.call(self, req, res), self, '~> this and return value passed through'),
    (port) => send(port, '/').then(() => undefined),
  );
});

handler('returns the handler\'s own promise, so an async handler\'s rejection stays the host\'s to see', async () => {
  installRecordingTracer();
  const rejection = new Error('async handler failed');
  let returned: unknown;
  let given: Promise<void> | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown, promise: unknown) => unhandled.push([reason, promise]);
  process.on('unhandledRejection', onUnhandled);
  const wrapped = traceHandler((_req: IncomingMessage, res: ServerResponse) => {
    res.end('sent');
    given = Promise.reject(rejection);
    return given;
  });
  try {
    await serve(
      (req, res) => {
        returned = wrapped(req, res);
      },
      (port) => send(port, '/').then(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 10));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.is(returned, given, '~> the very same promise object');
  assert.equal(unhandled, [[rejection, given]], '~> still unhandled, exactly once');
});

handler('keep-alive: 200 sequential requests on one socket never see the previous request\'s span', async () => {
  const tracer = installRecordingTracer();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  const seen: boolean[] = [];
  const h = traceHandler((req: IncomingMessage, res: ServerResponse) => {
    sockets.add(req.socket);
    const before = activeSpan();
    setImmediate(() => {
      seen.push(before === getSpan(req) && activeSpan() === getSpan(req));
      res.end('ok');
    });
  });
  await serve(h, async (port) => {
    for (let i = 0; i < 200; i++) {
      const headers: Record<string, string> = i % 2 ? { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } : {};
      await new Promise<void>((done, fail) => {
        httpRequest({ host: '127.0.0.1', port, path: `/k/${i}`, agent, headers }, (res) => {
          res.resume();
          res.on('end', done);
        })
          .on('error', fail)
          .end();
      });
    }
  });
  agent.destroy();
  assert.is(sockets.size, 1, '~> one connection');
  assert.is(seen.length, 200);
  assert.ok(seen.every(Boolean), '~> each request saw only its own span');
  assert.is(new Set(serverSpans(tracer)).size, 200);
});

handler('a wrong option is warned about once and its default used, never thrown', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  const tracer = installRecordingTracer();
  const h = traceHandler(app, { excludedPaths: 'nope', traceAll: 'yes', bogus: 1 } as never);
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(
    warnings.filter((w) => w.startsWith('ts-traced: traceHandler')).sort(),
    [
      "ts-traced: traceHandler: option 'excludedPaths' must be an array of strings and RegExps; using its default",
      "ts-traced: traceHandler: option 'traceAll' must be a boolean; using its default",
      "ts-traced: traceHandler: unknown option 'bogus' ignored (known: traceAll, tracedAttributes, excludedPaths, operationName, startSpanCallback, tracer, urlQuery)",
    ],
  );
  await serveOnce(h, '/');
  await until(() => tracer.finished().length === 3);
});

handler.run();

async function serveOnce(h: Handler, path: string, headers: Record<string, string> = {}) {
  let reply: Awaited<ReturnType<typeof send>> | undefined;
  await serve(h, async (port) => {
    reply = await send(port, path, { headers });
  });
  const { status, body } = reply!;
  return { status, body };
}

const before = suite('beforeRequest');

before('starts the server span of a request with its parent extracted; the caller finishes it', async () => {
  const tracer = installRecordingTracer();
  const parent = tracer.startSpan('caller');
  const withContext = new (class extends RecordingTracer {
    protected override _extract(format: string, carrier: unknown): never {
      assert.is(format, FORMAT_HTTP_HEADERS);
      assert.is((carrier as Record<string, string>)['x-parent'], 'yes', '~> the request headers are the carrier');
      return parent.context() as never;
    }
  })();
  let span: ReturnType<typeof beforeRequest> | undefined;
  let found: unknown;
  await serve(
    (req, res) => {
      span = beforeRequest(req, withContext);
      found = getSpan(req);
      res.end('ok');
    },
    (port) => send(port, '/p?q=1', { headers: { 'x-parent': 'yes' } }).then(() => undefined),
  );
  const started = withContext.started[0];
  assert.is(span, started as never);
  assert.is(found, span, '~> getSpan(req) returns it');
  assert.is(started.parent, parent as never, '~> child of the extracted context');
  assert.is(started.name, 'GET');
  assert.is(started.tags['span.kind'], 'server');
  assert.is(started.finishCount, 0, '~> left open for the caller');
});

before('uses the runtime tracer by default, and hands back a no-op span when nothing records', async () => {
  const tracer = installRecordingTracer();
  const spans: unknown[] = [];
  const server = createServer((req, res) => {
    spans.push(beforeRequest(req));
    res.end();
  });
  const port = await listen(server);
  await send(port, '/');
  setTracer(undefined);
  await send(port, '/');
  await close(server);
  assert.is(spans[0], tracer.started[0] as never);
  assert.is(Object.getPrototypeOf(spans[1]), Span.prototype, "~> opentracing's no-op span, safe to use");
  assert.is(tracer.started.length, 1, '~> the second request was not recorded');
});

before.run();

const get = suite('getSpan');

get('returns the span for Node\'s request and for objects holding it as raw or req; undefined otherwise', async () => {
  installRecordingTracer();
  const seen: unknown[] = [];
  await serve(
    traceHandler((req, res) => {
      const span = getSpan(req);
      seen.push(span !== undefined, getSpan({ raw: req }) === span, getSpan({ req }) === span, span === activeSpan());
      res.end();
    }),
    (port) => send(port, '/').then(() => undefined),
  );
  assert.equal(seen, [true, true, true, true]);
  assert.is(getSpan({}), undefined);
  assert.is(getSpan(new Proxy({}, { get() { throw new Error('hostile'); } })), undefined, '~> a hostile object is harmless');
});

get.run();

const loading = suite('loading the server integrations');

loading('neither ts-traced nor its framework entries load a web framework: the app brings its own', () => {
  const script = `
    require('./src/index.ts');
    for (const entry of ['express', 'koa', 'fastify']) require('./src/runtime/servers/' + entry + '.ts');
    const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](express|express4|koa|@koa|fastify|@nestjs)[\\\\/]/.test(f));
    console.log(JSON.stringify(loaded));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(__dirname, '..', '..', '..'), encoding: 'utf8' });
  assert.equal(JSON.parse(out.trim().split('\n').pop()!), []);
});

loading.run();
