/**
 * C5: every operation that ends badly still finishes its span exactly once, marks the error, and changes nothing
 * the host sees. Covered elsewhere and cited: C5.65/66/69 (http client destroy, abort, refused, reset, timeout:
 * test/runtime/clients/http.test.ts "failures"), C5.67 (client gone mid-response, per framework:
 * test/runtime/servers/*.test.ts), C5.73 (fetch: fetch.test.ts "failures"), C5.74 (pg, mysql2, ioredis, redis,
 * amqplib: their tests), C5.75 (aws-sdk.test.ts). Here: C5.67 repeated on every framework, 68, 70, 71, 72, 76, and
 * the listener parity every row requires.
 */
import { once } from 'node:events';
import * as nodeHttp from 'node:http';
import type { Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { suppressTracing } from '../../src/runtime/child-span';
import { http as httpClient } from '../../src/runtime/clients/http';
import { traceHandler } from '../../src/runtime/servers/http';
import { setTracer } from '../../src/runtime/tracer';
import type { RecordedSpan, RecordingTracer } from '../helpers/mock-tracer';
import { installPropagatingTracer as installRecordingTracer } from '../helpers/propagating-tracer';
import { close, FRAMEWORKS, get, listen, startApp, type Service } from './apps';
import { buildPair, EscapeWatch, turns } from './support';

const service = buildPair<Service>('service', 'service.ts');
const servers = (t: RecordingTracer) => t.started.filter((s) => s.tags['span.kind'] === 'server');
const clients = (t: RecordingTracer) => t.started.filter((s) => s.tags['span.kind'] === 'client');

/** Bounded wait for spans that end on socket events. */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** Requests `path` and destroys the socket at the first body byte, while the server is still writing. */
function leaveMidResponse(port: number, path: string): Promise<void> {
  return suppressTracing(
    () =>
      new Promise<void>((resolve) => {
        const req = nodeHttp.request({ host: '127.0.0.1', port, path, agent: false }, (res) =>
          res.once('data', () => {
            req.destroy();
            resolve();
          }),
        );
        req.on('error', () => resolve()).end();
      }),
  );
}

const ITERATIONS = 200;

const c67 = suite('C5.67 client goes away mid-response');
for (const framework of FRAMEWORKS) {
  c67(`C5.67 ${framework}: ${ITERATIONS} clients leave mid-response (1,000: npm run soak): each server span finished once, marked aborted`, async () => {
    const tracer = installRecordingTracer();
    const { server, port } = await startApp(framework, service.traced(), 0, true);
    try {
      for (let i = 0; i < ITERATIONS; i += 20) await Promise.all(Array.from({ length: 20 }, () => leaveMidResponse(port, '/stream')));
      await until(() => servers(tracer).length === ITERATIONS && servers(tracer).every((s) => s.finishCount > 0));
    } finally {
      await close(server);
      setTracer(undefined);
    }
    const spans = servers(tracer);
    assert.is(spans.length, ITERATIONS);
    assert.equal(spans.filter((s) => s.finishCount !== 1).length, 0, '~> finished exactly once');
    assert.equal(spans.filter((s) => s.tags['http.aborted'] !== true || s.tags.error !== true).length, 0, '~> aborted, as an error');
  });
}
c67.run();

/** A node:http app, traced or not, with routes that fail in every way a response can. */
async function failingServer(traced: boolean) {
  const handler = (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse) => {
    listeners.push(`${req.listenerCount('error')} ${res.listenerCount('error')} ${req.socket.listenerCount('error')}`);
    if (req.url === '/destroy') {
      res.write('partial');
      setImmediate(() => res.destroy());
    } else if (req.url === '/never') {
      res.write('held');
    } else if (req.url === '/big') {
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < 50 && res.write(chunk)) sent++;
        if (sent >= 50) res.end();
        else res.once('drain', () => (sent++, pump()));
      };
      pump();
    } else res.end('ok');
  };
  const listeners: string[] = [];
  const server = nodeHttp.createServer(traced ? traceHandler(handler) : handler);
  return { server, port: await listen(server), listeners };
}

const c68 = suite('C5.68, 71, 72 server-side endings');
c68('C5.68 the server destroys the response: the client span ends once as an error, the server span once', async () => {
  const tracer = installRecordingTracer();
  httpClient.install({});
  const { server, port } = await failingServer(true);
  const errors: string[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      await new Promise<void>((resolve) => {
        const req = nodeHttp.get({ host: '127.0.0.1', port, path: '/destroy', agent: false }, (res) => {
          res.on('data', () => undefined).on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message)).on('close', resolve);
        });
        req.on('error', (e: NodeJS.ErrnoException) => (errors.push(e.code ?? e.message), resolve()));
      });
    }
    await until(() => clients(tracer).length === 50 && clients(tracer).every((s) => s.finishCount > 0) && servers(tracer).every((s) => s.finishCount > 0));
  } finally {
    httpClient.uninstall();
    await close(server);
    setTracer(undefined);
  }
  assert.is(errors.length, 50, '~> the host saw each failure');
  for (const [kind, spans] of [['client', clients(tracer)], ['server', servers(tracer)]] as const) {
    assert.is(spans.length, 50, `~> ${kind} spans`);
    assert.equal(spans.filter((s) => s.finishCount !== 1).length, 0, `~> each ${kind} span finished once`);
    assert.equal(spans.filter((s) => s.tags.error !== true).length, 0, `~> each ${kind} span an error`);
  }
});
c68('C5.71 a handler that never ends the response: the span finishes when the server times the request out', async () => {
  const tracer = installRecordingTracer();
  const { server, port } = await failingServer(true);
  server.setTimeout(100);
  server.on('timeout', (socket: Socket) => socket.destroy());
  try {
    await suppressTracing(
      () =>
        new Promise<void>((resolve) => {
          nodeHttp.get({ host: '127.0.0.1', port, path: '/never', agent: false }, (res) => res.resume().on('error', () => undefined).on('close', resolve)).on('error', () => resolve());
        }),
    );
    await until(() => servers(tracer)[0]?.finishCount > 0);
  } finally {
    await close(server);
    setTracer(undefined);
  }
  const [span] = servers(tracer);
  assert.is(span.finishCount, 1);
  assert.is(span.tags['http.aborted'], true);
});
c68('C5.72 a 50 MB response aborted at about half, by either side: one finish on each side', async () => {
  const tracer = installRecordingTracer();
  httpClient.install({});
  const { server, port } = await failingServer(true);
  try {
    for (const side of ['client', 'server'] as const) {
      await new Promise<void>((resolve) => {
        let received = 0;
        const req = nodeHttp.get({ host: '127.0.0.1', port, path: '/big', agent: false }, (res) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received < 25 * 1024 * 1024) return;
            if (side === 'client') req.destroy();
            else res.socket.destroy(); // what the server's abort looks like from here: the socket goes away
          });
          res.on('error', () => undefined).on('close', resolve);
        });
        req.on('error', () => resolve());
      });
    }
    await until(() => tracer.started.length === 4 && tracer.started.every((s) => s.finishCount > 0));
  } finally {
    httpClient.uninstall();
    await close(server);
    setTracer(undefined);
  }
  assert.is(tracer.started.length, 4, '~> a client and a server span per transfer');
  assert.equal(tracer.started.map((s) => s.finishCount), [1, 1, 1, 1]);
  assert.ok(tracer.started.every((s) => s.tags.error === true), '~> each marked as an error');
});
c68('C5 every row: the middleware adds no error listener to the request, response or socket', async () => {
  const seen: string[][] = [];
  for (const traced of [false, true]) {
    if (traced) installRecordingTracer();
    const { server, port, listeners } = await failingServer(traced);
    for (const path of ['/ok', '/never', '/destroy']) await leaveMidResponse(port, path).catch(() => undefined);
    await close(server);
    seen.push(listeners);
  }
  setTracer(undefined);
  assert.equal(seen[1], seen[0]);
});
c68.run();

const c70 = suite('C5.70 handler errors');
const ERROR_ROUTES = ['/fail', '/missing', '/slow/5'];
for (const framework of ['express', 'koa', 'fastify'] as const) {
  c70(`C5.70 ${framework}: a throwing route answers exactly as without ts-traced; its span finishes once with the error`, async () => {
    const answers: string[][] = [];
    let tracer: RecordingTracer | undefined;
    for (const traced of [false, true]) {
      setTracer(undefined);
      if (traced) tracer = installRecordingTracer();
      const { server, port } = await startApp(framework, service.traced(), 0, traced);
      try {
        const replies = await Promise.all(ERROR_ROUTES.map((p) => get(port, p)));
        answers.push(replies.map((r) => `${r.status} ${r.headers['content-type']} ${r.body}`));
        await turns();
      } finally {
        await close(server);
      }
    }
    setTracer(undefined);
    assert.equal(answers[1], answers[0], '~> status, content type and body as untraced');
    const failed = servers(tracer!).find((s) => String(s.tags['http.url']).endsWith('/fail')) as RecordedSpan;
    assert.is(failed.finishCount, 1);
    assert.is(failed.tags.error, true);
    assert.is(failed.tags['http.status_code'], 500);
    assert.equal(servers(tracer!).map((s) => s.finishCount), [1, 1, 1]);
  });
}
c70.run();

const c76 = suite('C5.76 double events');
c76("C5.76 a request whose 'close' and 'error' fire again after it ended: still one finish, the host's listeners see every event", async () => {
  const tracer = installRecordingTracer();
  httpClient.install({});
  const { server, port } = await failingServer(false);
  const watch = new EscapeWatch();
  const events: string[] = [];
  try {
    const req = nodeHttp.get({ host: '127.0.0.1', port, path: '/ok', agent: false }, (res) => res.resume());
    req.on('close', () => events.push('close')).on('error', (e) => events.push(`error ${e.message}`));
    await once(req, 'close');
    req.emit('close');
    req.emit('error', new Error('late'));
    req.emit('close');
    await turns();
  } finally {
    watch.stop();
    httpClient.uninstall();
    await close(server);
    setTracer(undefined);
  }
  assert.equal(events, ['close', 'close', 'error late', 'close'], '~> the host saw every event');
  assert.equal(tracer.started.map((s) => s.finishCount), [1]);
  assert.equal([watch.uncaught.length, watch.unhandled.length], [0, 0]);
});
c76.run();

