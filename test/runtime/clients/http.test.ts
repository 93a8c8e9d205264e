/**
 * Outgoing node:http / node:https requests against real loopback servers: span shape and parent, propagation into
 * the request headers, status and failure tagging (each request finished exactly once), options, hooks, faults,
 * redaction, and install/uninstall. Runs on Node 20 (wrapped `request`/`get`) and Node 24 (diagnostics channels).
 */
import { readFileSync } from 'node:fs';
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { suppressTracing } from '../../../src/runtime/child-span';
import { http } from '../../../src/runtime/clients/http';
import { closedPort as findClosedPort } from '../../helpers/closed-port';
import { installDevTracer } from '../../helpers/dev-tracer';
import { installRecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { installPropagatingTracer, spanOfTraceparent } from '../../helpers/propagating-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';

const fixtures = join(__dirname, 'fixtures');
const tls = { key: readFileSync(join(fixtures, 'loopback.key')), cert: readFileSync(join(fixtures, 'loopback.crt')) };

/** Headers each request arrived with, by path. */
const received = new Map<string, nodeHttp.IncomingHttpHeaders>();
const handler: nodeHttp.RequestListener = (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  received.set(path, req.headers);
  if (path === '/reset') return req.socket.destroy();
  if (path === '/hang') return;
  if (path === '/partial') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('part');
    setTimeout(() => res.destroy(), 20);
    return;
  }
  const status = path === '/fail' ? 503 : path === '/missing' ? 404 : 200;
  res.writeHead(status, { 'set-cookie': `session=${String(req.headers['x-plant'] ?? 'none')}` });
  res.end('ok');
};
const server = nodeHttp.createServer(handler);
const secure = nodeHttps.createServer(tls, handler);

let port = 0;
let securePort = 0;
let closedPort = 0;
const base = () => `http://127.0.0.1:${port}`;

interface Reply {
  status: number | undefined;
  body: string;
}

/** `request` (or `get`) and read the whole reply; rejects with the request's own error. */
function call(url: string, options: nodeHttps.RequestOptions = {}, via: 'request' | 'get' = 'request'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? nodeHttps : nodeHttp;
    const onResponse = (res: nodeHttp.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    };
    const req = via === 'get' ? mod.get(url, options, onResponse) : mod.request(url, options, onResponse);
    req.on('error', reject);
    if (via === 'request') req.end();
  });
}

/** Waits until the recorded spans are all finished (finish happens on 'close', after the caller's callbacks). */
async function settled(spans: () => RecordedSpan[], count = 1): Promise<RecordedSpan[]> {
  for (let i = 0; i < 200; i++) {
    const list = spans();
    if (list.length >= count && list.every((s) => s.finishCount > 0)) return list;
    await new Promise((r) => setTimeout(r, 5));
  }
  return spans();
}

const clientSpans = (tracer: { started: RecordedSpan[] }) => tracer.started.filter((s) => s.tags['span.kind'] === 'client');

const listen = (s: nodeHttp.Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));

/** Servers start once for the whole file; each suite installs the wrapper and removes it again. */
const setup = async () => {
  if (!server.listening) {
    port = await listen(server);
    securePort = await listen(secure);
    closedPort = await findClosedPort();
  }
  http.install();
};
const teardown = () => {
  http.uninstall();
  setTracer(undefined);
};

// ---------------------------------------------------------------------------------------------------------------
const spans = suite('http: spans');
spans.before(setup);

spans('a request is a client span, child of the active span, with method, url, peer and status tags', async () => {
  const tracer = installRecordingTracer();
  const parent = tracer.startSpan('parent');
  const reply = await withSpan(parent, () => call(`${base()}/items?page=2`));
  assert.equal(reply, { status: 200, body: 'ok' });
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.name, 'GET');
  assert.is(span.parent, parent, '~> child of the active span');
  assert.is(span.finishCount, 1);
  assert.equal(
    { ...span.tags },
    {
      'span.kind': 'client',
      component: 'http',
      'http.method': 'GET',
      'http.url': `http://127.0.0.1:${port}/items`,
      'peer.hostname': '127.0.0.1',
      'peer.port': port,
      'http.status_code': 200,
    },
  );
});

spans('http.get is traced the same way and the response callback runs in the caller context', async () => {
  const tracer = installRecordingTracer();
  const parent = tracer.startSpan('parent');
  let seen: unknown;
  await withSpan(parent, () =>
    new Promise<void>((resolve, reject) => {
      nodeHttp
        .get(`${base()}/get`, (res) => {
          seen = activeSpan();
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    }),
  );
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.parent, parent);
  assert.is(span.tags['http.status_code'], 200);
  assert.is(seen, parent, '~> the client span is not left active in the caller');
});

spans('https.request and https.get are traced with an https url', async () => {
  const tracer = installRecordingTracer();
  const ca = tls.cert;
  await call(`https://127.0.0.1:${securePort}/secure`, { ca });
  await call(`https://127.0.0.1:${securePort}/secure-get`, { ca }, 'get');
  const list = await settled(() => clientSpans(tracer), 2);
  assert.equal(
    list.map((s) => s.tags['http.url']),
    [`https://127.0.0.1:${securePort}/secure`, `https://127.0.0.1:${securePort}/secure-get`],
  );
  assert.ok(received.get('/secure-get')?.traceparent === undefined, '~> the recording tracer injects nothing');
});

spans('the named ESM export of node:http is traced too', async () => {
  const tracer = installRecordingTracer();
  const { request } = await import('node:http');
  await new Promise<void>((resolve, reject) => {
    request(`${base()}/esm`, (res) => res.resume().on('end', resolve)).on('error', reject).end();
  });
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.tags['http.url'], `${base()}/esm`);
});

spans('a 5xx is tagged as an error, a 4xx is not', async () => {
  const tracer = installRecordingTracer();
  await call(`${base()}/fail`);
  await call(`${base()}/missing`);
  const [fail, missing] = await settled(() => clientSpans(tracer), 2);
  assert.is(fail.tags['http.status_code'], 503);
  assert.is(fail.tags.error, true);
  assert.is(missing.tags['http.status_code'], 404);
  assert.is(missing.tags.error, undefined);
});

spans.after(teardown);
spans.run();

// ---------------------------------------------------------------------------------------------------------------
const failures = suite('http: failures');
failures.before(setup);

async function failing(run: () => Promise<unknown>): Promise<{ error: unknown; span: RecordedSpan }> {
  const tracer = installRecordingTracer();
  let error: unknown;
  await run().catch((e) => (error = e));
  const [span] = await settled(() => clientSpans(tracer));
  return { error, span };
}

failures('a refused connection rejects with the host error and the span carries it, finished once', async () => {
  const { error, span } = await failing(() => call(`http://127.0.0.1:${closedPort}/x`));
  assert.is((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  assert.is(span.tags.error, true);
  assert.is(span.logs[0]['error.object'], error, '~> the very error the host received');
  assert.is(span.logs.length, 1, '~> tagged once, not again on close');
  assert.is(span.finishCount, 1);
});

failures('a connection reset by the server is an error', async () => {
  const { error, span } = await failing(() => call(`${base()}/reset`));
  assert.is((error as NodeJS.ErrnoException).code, 'ECONNRESET');
  assert.is(span.tags.error, true);
  assert.is(span.finishCount, 1);
});

failures('req.destroy() before the response is an error, finished once', async () => {
  const { span } = await failing(
    () =>
      new Promise((resolve, reject) => {
        const req = nodeHttp.request(`${base()}/hang`);
        req.on('error', reject);
        req.on('close', resolve);
        req.end();
        setTimeout(() => req.destroy(), 20);
      }),
  );
  assert.is(span.tags.error, true);
  assert.is(span.finishCount, 1);
});

failures('a response destroyed by the server mid-body is an error', async () => {
  const { error, span } = await failing(() => call(`${base()}/partial`));
  assert.ok(error instanceof Error, '~> the host saw the abort');
  assert.is(span.tags['http.status_code'], 200);
  assert.is(span.tags.error, true);
  assert.is(span.finishCount, 1);
});

failures('an AbortSignal and a timeout + destroy each end the span once, as errors', async () => {
  const tracer = installRecordingTracer();
  const controller = new AbortController();
  const aborted = call(`${base()}/hang`, { signal: controller.signal }).catch((e) => e);
  setTimeout(() => controller.abort(), 20);
  assert.is(((await aborted) as Error).name, 'AbortError');
  const timedOut = new Promise((resolve) => {
    const req = nodeHttp.request(`${base()}/hang`);
    req.setTimeout(10, () => req.destroy(new Error('timed out')));
    req.on('error', resolve);
    req.end();
  });
  assert.is(((await timedOut) as Error).message, 'timed out');
  const list = await settled(() => clientSpans(tracer), 2);
  assert.equal(list.map((s) => [s.tags.error, s.finishCount]), [[true, 1], [true, 1]]);
});

failures('adds no error listener: the host keeps the same listener count', async () => {
  installRecordingTracer();
  const req = nodeHttp.request(`${base()}/count`);
  const traced = req.listenerCount('error');
  http.uninstall();
  const plain = nodeHttp.request(`${base()}/count`);
  const untraced = plain.listenerCount('error');
  http.install();
  for (const r of [req, plain]) {
    r.on('error', () => {});
    r.destroy();
  }
  assert.is(traced, untraced);
});

failures("keeps the library's own error for invalid input, thrown synchronously from node", () => {
  installRecordingTracer();
  let thrown: any;
  try {
    nodeHttp.request(base(), { headers: { 'x-bad': 'a\r\nb' } });
  } catch (error) {
    thrown = error;
  }
  assert.is(thrown?.code, 'ERR_INVALID_CHAR');
  assert.ok(!String(thrown.stack).split('\n')[1].includes('clients/http'), '~> first frame is node, not the wrapper');
});

failures.after(teardown);
failures.run();

// ---------------------------------------------------------------------------------------------------------------
const propagation = suite('http: propagation');
propagation.before(setup);

propagation('injects the client span context into the outgoing headers', async () => {
  const tracer = installPropagatingTracer();
  const parent = tracer.startSpan('parent');
  await withSpan(parent, () => call(`${base()}/propagate`));
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(spanOfTraceparent(tracer, received.get('/propagate')?.traceparent), span);
});

propagation('keeps a traceparent the host set itself', async () => {
  installPropagatingTracer();
  const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await call(`${base()}/own`, { headers: { traceparent: own } });
  assert.is(received.get('/own')?.traceparent, own);
});

propagation('a tracer handing out CR/LF or a bad header name never breaks the request', async () => {
  const tracer = installPropagatingTracer();
  tracer.extraHeaders = { 'x-evil': 'a\r\nX-Injected: 1', 'bad name': 'v', 'x-fine': 'é' };
  const reply = await call(`${base()}/evil`, { headers: { 'x-host': 'mine' } });
  assert.is(reply.status, 200);
  const headers = received.get('/evil')!;
  assert.is(headers['x-evil'], undefined);
  assert.is(headers['x-injected'], undefined, '~> no header splitting');
  assert.is(headers['x-host'], 'mine');
  assert.ok(headers.traceparent, '~> the valid trace header is still sent');
});

propagation('a throwing inject leaves the request and its own headers intact', async () => {
  const tracer = installPropagatingTracer();
  resetFaults();
  (tracer as any)._inject = () => {
    throw new Error('inject broke');
  };
  const reply = await call(`${base()}/inject-throws`, { headers: { 'x-host': 'mine' } });
  assert.is(reply.status, 200);
  assert.is(received.get('/inject-throws')?.['x-host'], 'mine');
  assert.is(faultCounts()['tracer.inject'], 1);
});

propagation('sends the service name in the caller-name headers and names the span from a callee-endpoint header', async () => {
  const tracer = installRecordingTracer();
  http.uninstall();
  http.install({ serviceName: 'orders', callerNameHeaders: ['x-caller'], calleeEndpointHeaders: ['x-endpoint'], peerService: 'users' });
  await call(`${base()}/named`, { headers: { 'x-endpoint': 'getUser' } });
  http.uninstall();
  http.install();
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(received.get('/named')?.['x-caller'], 'orders');
  assert.is(span.name, 'GET:getUser');
  assert.is(span.tags['peer.service'], 'users');
});

propagation.after(teardown);
propagation.run();

// ---------------------------------------------------------------------------------------------------------------
const w3c = suite('http: W3C propagation (DevTracer)');
w3c.before(setup);

w3c('the callee reads a valid traceparent naming the client span, and the baggage; a CR/LF in baggage splits nothing', async () => {
  const { tracer, finished } = installDevTracer();
  const parent = tracer.startSpan('parent');
  parent.setBaggageItem('tenant', 'acme\r\nX-Injected: 1');
  await withSpan(parent, () => call(`${base()}/w3c`));
  await settled(() => finished as unknown as RecordedSpan[]);
  const client = finished.find((s) => s.tags['span.kind'] === 'client')!;
  const headers = received.get('/w3c')!;
  assert.match(String(headers.traceparent), new RegExp(`^00-${client.traceId}-${client.spanId}-0[0-3]$`));
  assert.is(headers['x-injected'], undefined, '~> no header splitting');
  const callee = tracer.startSpan('callee', { childOf: tracer.extract('http_headers', headers)! });
  assert.equal([callee.traceId, callee.parentId, callee.getBaggageItem('tenant')], [parent.traceId, client.spanId, 'acme\r\nX-Injected: 1']);
});

w3c.after(teardown);
w3c.run();

// ---------------------------------------------------------------------------------------------------------------
const options = suite('http: options and hooks');
options.before(setup);

const reinstall = (o: Parameters<typeof http.install>[0]) => {
  http.uninstall();
  http.install(o);
};

options('ignore(url) skips the span and the headers; it sees the full URL', async () => {
  const tracer = installPropagatingTracer();
  const seen: string[] = [];
  reinstall({ ignore: (url) => (seen.push(url.href), url.pathname === '/health') });
  await call(`${base()}/health?probe=1`);
  await call(`${base()}/work`);
  reinstall({});
  const list = await settled(() => clientSpans(tracer));
  assert.equal(list.map((s) => s.tags['http.url']), [`${base()}/work`]);
  assert.is(received.get('/health')?.traceparent, undefined);
  assert.equal(seen, [`${base()}/health?probe=1`, `${base()}/work`]);
});

options('suppressTracing turns off client spans and headers for everything it runs', async () => {
  const tracer = installPropagatingTracer();
  await suppressTracing(() => call(`${base()}/exporter`));
  assert.is(clientSpans(tracer).length, 0);
  assert.is(received.get('/exporter')?.traceparent, undefined);
});

options('requestHook and responseHook see the span with the request and the response', async () => {
  const tracer = installRecordingTracer();
  reinstall({
    requestHook: (span, req) => span.setTag('hook.path', req.path),
    responseHook: (span, res) => span.setTag('hook.status', res.statusCode),
  });
  await call(`${base()}/hooked?x=1`);
  reinstall({});
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.tags['hook.path'], '/hooked?x=1');
  assert.is(span.tags['hook.status'], 200);
});

options('throwing hooks do no harm: the reply is intact and each fault is counted', async () => {
  const tracer = installRecordingTracer();
  resetFaults();
  const boom = () => {
    throw new Error('hook broke');
  };
  reinstall({ requestHook: boom, responseHook: boom, ignore: boom as never });
  const reply = await call(`${base()}/hook-throws`);
  reinstall({});
  assert.equal(reply, { status: 200, body: 'ok' });
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.finishCount, 1);
  const faults = faultCounts();
  assert.equal([faults['hook.requestHook'], faults['hook.responseHook'], faults['hook.ignore']], [1, 1, 1]);
});

options('with no tracer set, requests are neither traced nor given headers', async () => {
  setTracer(undefined);
  const reply = await call(`${base()}/untraced`);
  assert.equal(reply, { status: 200, body: 'ok' });
  assert.is(received.get('/untraced')?.traceparent, undefined);
});

options.after(teardown);
options.run();

// ---------------------------------------------------------------------------------------------------------------
const redaction = suite('http: redaction');
redaction.before(setup);

redaction('no Authorization, Cookie, Set-Cookie, URL credentials or query secret is recorded', async () => {
  const tracer = installPropagatingTracer();
  const secret = secretMarker();
  await call(`http://user:${secret}@127.0.0.1:${port}/login?token=${secret}&api_key=${secret}`, {
    headers: {
      authorization: `Bearer ${secret}`,
      'proxy-authorization': secret,
      'x-api-key': secret,
      cookie: `session=${secret}`,
      'x-plant': secret,
    },
  });
  await call(`http://127.0.0.1:${closedPort}/down?sig=${secret}`, { auth: `user:${secret}` }).catch(() => {});
  const list = await settled(() => clientSpans(tracer), 2);
  assert.is(received.get('/login')?.authorization, `Bearer ${secret}`, '~> the request did carry the secrets');
  assert.equal(findMarker(list, secret), []);
  assert.is(list[0].tags['http.url'], `${base()}/login`);
});

redaction.after(teardown);
redaction.run();

// ---------------------------------------------------------------------------------------------------------------
const lifecycle = suite('http: install');
lifecycle.before(async () => {
  await setup();
  http.uninstall();
});

lifecycle('installing twice traces once; uninstall restores http.request and stops tracing', async () => {
  const original = { request: nodeHttp.request, get: nodeHttp.get, srequest: nodeHttps.request, sget: nodeHttps.get };
  const tracer = installPropagatingTracer();
  http.install();
  http.install();
  await call(`${base()}/twice`);
  const traceparents = tracer.injected.length;
  http.uninstall();
  http.uninstall();
  assert.is(nodeHttp.request, original.request);
  assert.is(nodeHttp.get, original.get);
  assert.is(nodeHttps.request, original.srequest);
  assert.is(nodeHttps.get, original.sget);
  await call(`${base()}/after`);
  const list = await settled(() => clientSpans(tracer));
  assert.is(list.length, 1, '~> one span for the traced request, none after uninstall');
  assert.is(traceparents, 1);
  assert.is(received.get('/after')?.traceparent, undefined);
  assert.is(http.installed, false);
});

lifecycle('declares the Node majors it supports', () => {
  assert.is(http.supported, '20.x, 22.x, 24.x');
  assert.ok(http.isPresent());
});

lifecycle.after(() => {
  setTracer(undefined);
  for (const s of [server, secure]) {
    s.closeAllConnections();
    s.close();
  }
});
lifecycle.run();
