/**
 * C7: nothing sensitive reaches a span by default. A unique marker is planted in every place a secret travels
 * through the server middleware of every framework and the http/fetch clients behind it (headers, cookies, query,
 * Set-Cookie, URL credentials, paths, baggage), and through traced functions (arguments, results, errors); then
 * every span is searched, live and as ts-traced's exporter writes it. Each client wrapper's own sweep is in its
 * test (test/runtime/clients/*.test.ts, "redaction"/"secrets": pg, mysql2, knex, ioredis, redis, amqplib, bullmq,
 * aws-sdk, http, fetch).
 */
import * as nodeHttp from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import type { DevSpan } from '../../src/runtime/dev/span';
import { toSpanRecord } from '../../src/runtime/dev/span-record';
import { setTracer } from '../../src/runtime/tracer';
import { findMarker, secretMarker } from '../helpers/secrets';
import type { RecordedSpan } from '../helpers/mock-tracer';
import { close, Downstream, FRAMEWORKS, get, installClients, startApp, type Service } from './apps';
import { buildPair, TRACE_ALL } from './support';

const service = buildPair<Service>('service', 'service.ts');
type Secrets = typeof import('./fixtures/secrets');
const secrets = buildPair<Secrets>('secrets', 'secrets.ts', TRACE_ALL, { lib: ['ES2022', 'esnext.decorators'] });

/** Every finished span, kept live. */
function recording(): DevSpan[] {
  const tracer = new DevTracer();
  const finished: DevSpan[] = [];
  tracer.onFinish((span) => void finished.push(span));
  setTracer(tracer);
  return finished;
}

/** Where `marker` occurs: in the live spans (names, tags, log fields other than the error object itself) and in the exported records. */
function hits(spans: readonly DevSpan[], marker: string): string[] {
  const live = spans.map((s) => ({ name: s.name, tags: s.tags, logs: s.logs.map((l) => ({ ...l.fields, 'error.object': undefined })) }));
  const found = findMarker(live as unknown as RecordedSpan[], marker);
  const exported = JSON.stringify(spans.map(toSpanRecord)).toLowerCase();
  for (const needle of [marker.toLowerCase(), encodeURIComponent(marker).toLowerCase()]) if (exported.includes(needle)) found.push(`exported records contain ${needle}`);
  return found;
}

const QUERY_KEYS = ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature', 'token', 'access_token', 'api_key', 'password'];

const c85 = suite('C7.85-88, 92 servers and clients');
for (const framework of FRAMEWORKS) {
  for (const options of [{}, { urlQuery: 'redact' as const, tracedAttributes: ['headers', 'query', 'cookies', 'url', 'originalUrl', 'path', 'search', 'querystring', 'rawHeaders'] }]) {
    const label = Object.keys(options).length ? 'urlQuery redact and request attributes traced' : 'default options';
    c85(`C7.85-88, 92 ${framework} (${label}): auth headers, cookies, query secrets, Set-Cookie, baggage and a path name are in no span`, async () => {
      const marker = secretMarker();
      const pathMarker = secretMarker();
      const finished = recording();
      const downstream = new Downstream();
      downstream.server.removeAllListeners('request');
      downstream.server.on('request', (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse) => {
        req.resume();
        res.setHeader('set-cookie', [`session=${marker}; HttpOnly`]);
        res.end('ok');
      });
      await downstream.start();
      const m = service.traced();
      const undo = installClients();
      const { server, port } = await startApp(framework, m, downstream.port, true, options);
      const query = QUERY_KEYS.map((k) => `${k}=${marker}`).join('&');
      try {
        // Baggage first: the recorded `headers` JSON is cut at 256 characters, and the marker must fall inside it.
        // Its members travel to every downstream service and carry user ids and tokens, so like the auth headers it
        // is REDACTED also when `headers` is traced on purpose (C7.92); traceparent/tracestate are kept.
        const headers = {
          baggage: `userId=${marker},session=${marker}`,
          authorization: `Bearer ${marker}`,
          'proxy-authorization': `Basic ${Buffer.from(`u:${marker}`).toString('base64')}`,
          'x-api-key': marker,
          cookie: `sid=${marker}; theme=dark`,
        };
        const replies = [
          await get(port, `/work/1?${query}`, headers),
          await get(port, `/work/${pathMarker}@example.com?${query}`, headers),
          await get(port, `/whoami?${query}`, headers),
        ];
        assert.ok(replies.every((r) => r.status === 200), `~> answered: ${replies.map((r) => r.status)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        undo();
        m.closeAgent();
        await close(server);
        await downstream.close();
        setTracer(undefined);
      }
      const serverSpans = finished.filter((s) => s.tags['span.kind'] === 'server');
      assert.is(serverSpans.length, 3);
      assert.ok(finished.some((s) => s.tags['span.kind'] === 'client'), '~> the client calls were traced too');
      // The path names the resource and stays in http.url (and the path attribute); span names are route templates.
      assert.equal(finished.filter((s) => s.name.toLowerCase().includes(pathMarker.toLowerCase())).map((s) => s.name), [], '~> no span named by the raw path');
      assert.equal(hits(finished, marker), [], '~> no secret anywhere');
    });
  }
}
c85.run();

const c87 = suite('C7.87 URL credentials on the client');
c87('C7.87 http.request with user:password in the URL and in `auth`: http.url and every tag leave them out', async () => {
  const marker = secretMarker();
  const finished = recording();
  const undo = installClients();
  const downstream = await new Downstream().start();
  try {
    for (const target of [`http://user:${marker}@127.0.0.1:${downstream.port}/x`, `http://user:${encodeURIComponent(`p@ss${marker}`)}@127.0.0.1:${downstream.port}/y`]) {
      await new Promise<void>((resolve, reject) => nodeHttp.get(target, (res) => res.resume().on('end', resolve)).on('error', reject));
    }
    await new Promise<void>((resolve, reject) =>
      nodeHttp.get({ host: '127.0.0.1', port: downstream.port, path: '/z', auth: `user:${marker}` }, (res) => res.resume().on('end', resolve)).on('error', reject),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    undo();
    await downstream.close();
    setTracer(undefined);
  }
  assert.is(finished.length, 3);
  assert.equal(finished.map((s) => s.tags['http.url']), ['/x', '/y', '/z'].map((p) => `http://127.0.0.1:${downstream.port}${p}`));
  assert.equal(hits(finished, marker), []);
  assert.equal(hits(finished, 'p@ss'), [], '~> nor the percent-encoded password');
});
c87.run();

const c91 = suite('C7.91 traced functions');
c91('C7.91 arguments, results and errors of traced functions are not recorded by default; axios-like error config is not exported', async () => {
  const marker = secretMarker();
  const finished = recording();
  const m = secrets.traced();
  assert.is(m.plain('alice', marker), `alice:${marker}`);
  const error = await m.fails(marker).catch((e: unknown) => e);
  setTracer(undefined);
  assert.instance(error, m.AxiosLikeError);
  assert.equal(finished.map((s) => s.name).sort(), ['fails', 'plain']);
  assert.ok(finished.find((s) => s.name === 'fails')!.error, '~> the failure is tagged');
  assert.equal(hits(finished, marker), []);
});
c91('C7.91 with capture on, secret-looking parameters and keys are masked', async () => {
  const marker = secretMarker();
  const finished = recording();
  const account = new (secrets.traced().Account)();
  account.login('alice', marker, { token: marker, nested: { apiKey: marker, sessionId: marker, note: 'kept' } });
  setTracer(undefined);
  const [span] = finished;
  assert.is(span.tags['arg.user'], 'alice', '~> an ordinary argument is recorded');
  assert.is(span.tags['arg.password'], 'REDACTED');
  assert.is(span.tags['arg.options'], '{"token":"REDACTED","nested":{"apiKey":"REDACTED","sessionId":"REDACTED","note":"kept"}}');
  assert.equal(hits(finished, marker), []);
});
c91.run();

