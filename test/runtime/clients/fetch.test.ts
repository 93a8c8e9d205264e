/**
 * Global fetch (undici) against a real loopback server, through undici's diagnostics channels: span shape and
 * parent, propagation, status, failures and aborts (each finished exactly once), options, hooks, redaction and
 * install/uninstall.
 */
import * as nodeHttp from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { suppressTracing } from '../../../src/runtime/child-span';
import { fetchClient as fetchWrapper } from '../../../src/runtime/clients/fetch';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { closedPort } from '../../helpers/closed-port';
import { installDevTracer } from '../../helpers/dev-tracer';
import { installRecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { installPropagatingTracer, spanOfTraceparent } from '../../helpers/propagating-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';

const received = new Map<string, nodeHttp.IncomingHttpHeaders>();
const server = nodeHttp.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  received.set(path, req.headers);
  if (path === '/hang') return;
  if (path === '/reset') return req.socket.destroy();
  if (path === '/stall') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first');
    return;
  }
  const status = path === '/fail' ? 502 : path === '/missing' ? 404 : 200;
  res.writeHead(status, { 'set-cookie': `session=${String(req.headers['x-plant'] ?? 'none')}` });
  res.end('ok');
});

let base = '';
let closed = '';

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

const setup = async () => {
  if (!server.listening) {
    base = `http://127.0.0.1:${await listen(server)}`;
    closed = `http://127.0.0.1:${await closedPort()}`;
  }
  fetchWrapper.install();
};
const teardown = () => {
  fetchWrapper.uninstall();
  setTracer(undefined);
};
const reinstall = (o: Parameters<typeof fetchWrapper.install>[0]) => {
  fetchWrapper.uninstall();
  fetchWrapper.install(o);
};

// ---------------------------------------------------------------------------------------------------------------
const spans = suite('fetch: spans');
spans.before(setup);

spans('a fetch is a client span, child of the active span, finished once after the body is read', async () => {
  const tracer = installRecordingTracer();
  const parent = tracer.startSpan('parent');
  const body = await withSpan(parent, async () => (await fetch(`${base}/items?page=2`)).text());
  assert.is(body, 'ok');
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.name, 'GET');
  assert.is(span.parent, parent);
  assert.is(span.finishCount, 1);
  assert.equal(
    { ...span.tags },
    {
      'span.kind': 'client',
      component: 'fetch',
      'http.method': 'GET',
      'http.url': `${base}/items`,
      'peer.hostname': '127.0.0.1',
      'peer.port': Number(new URL(base).port),
      'http.status_code': 200,
    },
  );
});

spans('a 5xx is tagged as an error, a 4xx is not', async () => {
  const tracer = installRecordingTracer();
  await (await fetch(`${base}/fail`)).text();
  await (await fetch(`${base}/missing`)).text();
  const [fail, missing] = await settled(() => clientSpans(tracer), 2);
  assert.equal([fail.tags['http.status_code'], fail.tags.error], [502, true]);
  assert.equal([missing.tags['http.status_code'], missing.tags.error], [404, undefined]);
});

spans('a response whose body is never read still ends its span', async () => {
  const tracer = installRecordingTracer();
  const res = await fetch(`${base}/unread`);
  assert.is(res.status, 200);
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(span.finishCount, 1);
});

spans.after(teardown);
spans.run();

// ---------------------------------------------------------------------------------------------------------------
const failures = suite('fetch: failures');
failures.before(setup);

async function failing(run: () => Promise<unknown>): Promise<{ error: any; span: RecordedSpan }> {
  const tracer = installRecordingTracer();
  let error: unknown;
  await run().catch((e) => (error = e));
  const [span] = await settled(() => clientSpans(tracer));
  return { error, span };
}

failures('a refused connection rejects as untraced and the span is an error, finished once', async () => {
  const { error, span } = await failing(() => fetch(`${closed}/x`));
  assert.instance(error, TypeError);
  assert.is(error.cause?.code, 'ECONNREFUSED');
  assert.equal([span.tags.error, span.finishCount], [true, 1]);
});

failures('a connection reset is an error', async () => {
  const { error, span } = await failing(() => fetch(`${base}/reset`));
  assert.instance(error, TypeError);
  assert.equal([span.tags.error, span.finishCount], [true, 1]);
});

failures('an abort before the headers rejects with AbortError and ends the span once', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  const { error, span } = await failing(() => fetch(`${base}/hang`, { signal: controller.signal }));
  assert.is(error.name, 'AbortError');
  assert.equal([span.tags.error, span.finishCount], [true, 1]);
});

failures('an abort after the headers, while reading the body, ends the span once', async () => {
  const controller = new AbortController();
  const { error, span } = await failing(async () => {
    const res = await fetch(`${base}/stall`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    return res.text();
  });
  assert.is(error.name, 'AbortError');
  assert.equal([span.tags['http.status_code'], span.tags.error, span.finishCount], [200, true, 1]);
});

failures('AbortSignal.timeout ends the span once, as an error', async () => {
  const { error, span } = await failing(() => fetch(`${base}/hang`, { signal: AbortSignal.timeout(5) }));
  assert.is(error.name, 'TimeoutError');
  assert.equal([span.tags.error, span.finishCount], [true, 1]);
});

failures.after(teardown);
failures.run();

// ---------------------------------------------------------------------------------------------------------------
const propagation = suite('fetch: propagation');
propagation.before(setup);

propagation('injects the client span context into the request headers', async () => {
  const tracer = installPropagatingTracer();
  await (await fetch(`${base}/propagate`)).text();
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(spanOfTraceparent(tracer, received.get('/propagate')?.traceparent), span);
});

propagation('keeps a traceparent the host set itself (no second value)', async () => {
  installPropagatingTracer();
  const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await (await fetch(`${base}/own`, { headers: { TraceParent: own } })).text();
  assert.is(received.get('/own')?.traceparent, own);
});

propagation('a tracer handing out CR/LF or a bad header name never breaks the request', async () => {
  const tracer = installPropagatingTracer();
  tracer.extraHeaders = { 'x-evil': 'a\r\nX-Injected: 1', 'bad name': 'v' };
  const res = await fetch(`${base}/evil`, { headers: { 'x-host': 'mine' } });
  assert.is(res.status, 200);
  await res.text();
  const headers = received.get('/evil')!;
  assert.equal([headers['x-evil'], headers['x-injected'], headers['x-host']], [undefined, undefined, 'mine']);
  assert.ok(headers.traceparent);
});

propagation('a throwing inject leaves the request intact', async () => {
  const tracer = installPropagatingTracer();
  resetFaults();
  (tracer as any)._inject = () => {
    throw new Error('inject broke');
  };
  const res = await fetch(`${base}/inject-throws`, { headers: { 'x-host': 'mine' } });
  assert.is(await res.text(), 'ok');
  assert.is(received.get('/inject-throws')?.['x-host'], 'mine');
  assert.is(faultCounts()['tracer.inject'], 1);
});

propagation('caller-name headers carry the service name; a callee-endpoint header names the span', async () => {
  const tracer = installRecordingTracer();
  reinstall({ serviceName: 'orders', callerNameHeaders: ['x-caller'], calleeEndpointHeaders: ['x-endpoint'] });
  await (await fetch(`${base}/named`, { headers: { 'X-Endpoint': 'getUser' } })).text();
  reinstall({});
  const [span] = await settled(() => clientSpans(tracer));
  assert.is(received.get('/named')?.['x-caller'], 'orders');
  assert.is(span.name, 'GET:getUser');
});

propagation.after(teardown);
propagation.run();

// ---------------------------------------------------------------------------------------------------------------
const w3c = suite('fetch: W3C propagation (DevTracer)');
w3c.before(setup);

w3c('the callee reads a valid traceparent naming the client span, and the baggage', async () => {
  const { tracer, finished } = installDevTracer();
  const parent = tracer.startSpan('parent');
  parent.setBaggageItem('tenant', 'acme\r\nX-Injected: 1');
  await withSpan(parent, async () => (await fetch(`${base}/w3c`)).text());
  await settled(() => finished as unknown as RecordedSpan[]);
  const client = finished.find((s) => s.tags['span.kind'] === 'client')!;
  const headers = received.get('/w3c')!;
  assert.match(String(headers.traceparent), new RegExp(`^00-${client.traceId}-${client.spanId}-0[0-3]$`));
  assert.is(headers['x-injected'], undefined);
  const callee = tracer.startSpan('callee', { childOf: tracer.extract('http_headers', headers)! });
  assert.equal([callee.traceId, callee.parentId, callee.getBaggageItem('tenant')], [parent.traceId, client.spanId, 'acme\r\nX-Injected: 1']);
});

w3c.after(teardown);
w3c.run();

// ---------------------------------------------------------------------------------------------------------------
const options = suite('fetch: options and hooks');
options.before(setup);

options('ignore(url) skips the span and the headers', async () => {
  const tracer = installPropagatingTracer();
  reinstall({ ignore: (url) => url.pathname === '/health' });
  await (await fetch(`${base}/health`)).text();
  await (await fetch(`${base}/work`)).text();
  reinstall({});
  const list = await settled(() => clientSpans(tracer));
  assert.equal(list.map((s) => s.tags['http.url']), [`${base}/work`]);
  assert.is(received.get('/health')?.traceparent, undefined);
});

options('suppressTracing turns off spans and headers for the requests it makes', async () => {
  const tracer = installPropagatingTracer();
  await suppressTracing(async () => (await fetch(`${base}/exporter`)).text());
  assert.is(clientSpans(tracer).length, 0);
  assert.is(received.get('/exporter')?.traceparent, undefined);
});

options('hooks see the request and the response; throwing hooks do no harm', async () => {
  const tracer = installRecordingTracer();
  resetFaults();
  reinstall({
    requestHook: (span, req) => span.setTag('hook.path', req.path),
    responseHook: (span, res) => span.setTag('hook.status', res.statusCode),
  });
  await (await fetch(`${base}/hooked?x=1`)).text();
  const boom = () => {
    throw new Error('hook broke');
  };
  reinstall({ requestHook: boom, responseHook: boom });
  const body = await (await fetch(`${base}/hook-throws`)).text();
  reinstall({});
  assert.is(body, 'ok');
  const [hooked, throwing] = await settled(() => clientSpans(tracer), 2);
  assert.equal([hooked.tags['hook.path'], hooked.tags['hook.status']], ['/hooked?x=1', 200]);
  assert.is(throwing.finishCount, 1);
  assert.equal([faultCounts()['hook.requestHook'], faultCounts()['hook.responseHook']], [1, 1]);
});

options('with no tracer set, nothing is traced or injected', async () => {
  setTracer(undefined);
  assert.is(await (await fetch(`${base}/untraced`)).text(), 'ok');
  assert.is(received.get('/untraced')?.traceparent, undefined);
});

options.after(teardown);
options.run();

// ---------------------------------------------------------------------------------------------------------------
const redaction = suite('fetch: redaction');
redaction.before(setup);

redaction('no Authorization, Cookie, Set-Cookie or query secret is recorded', async () => {
  const tracer = installPropagatingTracer();
  const secret = secretMarker();
  const headers = { authorization: `Bearer ${secret}`, cookie: `s=${secret}`, 'x-api-key': secret, 'x-plant': secret };
  const res = await fetch(`${base}/login?access_token=${secret}&password=${secret}`, { headers });
  assert.ok(res.headers.get('set-cookie')?.includes(secret), '~> the response did carry the secret');
  await res.text();
  await fetch(`${closed}/down?token=${secret}`, { headers }).catch(() => {});
  const list = await settled(() => clientSpans(tracer), 2);
  assert.equal(findMarker(list, secret), []);
});

redaction.after(teardown);
redaction.run();

// ---------------------------------------------------------------------------------------------------------------
const lifecycle = suite('fetch: install');
lifecycle.before(async () => {
  await setup();
  fetchWrapper.uninstall();
});

lifecycle('installing twice traces once; uninstall stops tracing', async () => {
  const tracer = installPropagatingTracer();
  fetchWrapper.install();
  fetchWrapper.install();
  await (await fetch(`${base}/twice`)).text();
  fetchWrapper.uninstall();
  fetchWrapper.uninstall();
  await (await fetch(`${base}/after`)).text();
  const list = await settled(() => clientSpans(tracer));
  assert.is(list.length, 1);
  assert.is(tracer.injected.length, 1);
  assert.is(received.get('/after')?.traceparent, undefined);
});

lifecycle('declares the undici majors it supports and finds the global fetch', () => {
  assert.is(fetchWrapper.supported, '6.x, 7.x');
  assert.ok(fetchWrapper.isPresent());
});

lifecycle.after(() => {
  setTracer(undefined);
  server.closeAllConnections();
  server.close();
});
lifecycle.run();
