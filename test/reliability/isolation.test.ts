/**
 * C3: every span stays in its own request. 10,000 requests with their own traceparent through the middleware,
 * traced business code doing a random mix of asynchronous steps and outgoing calls, recorded by the development
 * tracer (real W3C ids); then timers, nested scopes, faults, keep-alive sockets, emitters, startup resources, a
 * second copy of the runtime, worker threads, and install/uninstall cycles.
 */
import { EventEmitter } from 'node:events';
import * as nodeHttp from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { suppressTracing } from '../../src/runtime/child-span';
import { http as httpClient } from '../../src/runtime/clients/http';
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import type { DevSpan } from '../../src/runtime/dev/span';
import { resetFaults } from '../../src/runtime/safe';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { traceHandler } from '../../src/runtime/servers/http';
import { state } from '../../src/runtime/state';
import { setTracer } from '../../src/runtime/tracer';
import { ROOT } from '../helpers/compile';
import { installFaultTracer } from '../helpers/fault-tracer';
import { installRecordingTracer } from '../helpers/mock-tracer';
import { listen, close } from './apps';
import { buildPair, FIXTURES } from './support';

type Isolation = typeof import('./fixtures/isolation');
type Faults = typeof import('./fixtures/faults');
const isolation = buildPair<Isolation>('isolation', 'isolation.ts');
const faults = buildPair<Faults>('faults', 'faults.ts');

/** A development tracer that keeps every finished span. */
function devTracer(): { tracer: DevTracer; finished: DevSpan[] } {
  const tracer = new DevTracer();
  const finished: DevSpan[] = [];
  tracer.onFinish((span) => void finished.push(span));
  setTracer(tracer);
  return { tracer, finished };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const REQUESTS = 10_000;
const IN_FLIGHT = 500;

const c45 = suite('C3.45 concurrent requests');
c45(`C3.45 ${REQUESTS.toLocaleString('en')} requests (${IN_FLIGHT} in flight at a time), each with its own traceparent: 0 foreign trace ids, 0 wrong parents, all finished once`, async () => {
  const { finished } = devTracer();
  const m = isolation.traced();
  const downstreamSeen: { id: string; traceparent: string }[] = [];
  const downstream = nodeHttp.createServer((req, res) => {
    downstreamSeen.push({ id: String(req.headers['x-request-id']), traceparent: String(req.headers.traceparent) });
    res.end('ok');
  });
  const downPort = await listen(downstream);
  httpClient.install({ requestHook: (span, req) => span.setTag('request.id', String(req.getHeader('x-request-id'))) });
  const next = random(45);
  const plans = Array.from({ length: REQUESTS }, () => Array.from({ length: 2 + Math.floor(next() * 4) }, () => Math.floor(next() * 6)));
  const server = nodeHttp.createServer(
    traceHandler((req, res) => {
      const id = req.url!.slice(1);
      m.handle(id, plans[Number(id)], downPort).then((body) => res.end(body), (error: Error) => res.writeHead(500).end(error.message));
    }),
  );
  const port = await listen(server);
  const agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const traceIdOf = (i: number) => `${hex(i + 1, 8)}${'a'.repeat(24)}`;
  const parentIdOf = (i: number) => `${hex(i + 1, 8)}${'b'.repeat(8)}`;
  const send = (i: number) =>
    suppressTracing(
      () =>
        new Promise<string>((resolve, reject) => {
          const headers = { traceparent: `00-${traceIdOf(i)}-${parentIdOf(i)}-01` };
          nodeHttp
            .request({ host: '127.0.0.1', port, path: `/${i}`, agent, headers }, (res) => {
              let body = '';
              res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
            })
            .on('error', reject)
            .end();
        }),
    );
  try {
    let cursor = 0;
    const replies: string[] = [];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (cursor < REQUESTS) {
          const i = cursor++;
          replies[i] = await send(i);
        }
      }),
    );
    assert.ok(replies.every((r, i) => r === String(i)), '~> every request answered with its own id');
  } finally {
    agent.destroy();
    m.closeAgent();
    httpClient.uninstall();
    await close(server);
    await close(downstream);
    setTracer(undefined);
  }
  assert.equal(m.mismatches.slice(0, 5), [], `~> ${m.mismatches.length} times a traced function did not see its own span`);
  const problems: string[] = [];
  const byId = new Map<string, DevSpan>();
  const servers = finished.filter((s) => s.tags['span.kind'] === 'server');
  if (servers.length !== REQUESTS) problems.push(`${servers.length} server spans`);
  for (const s of servers) {
    const i = Number(String(s.tags['http.url']).split('/').pop());
    byId.set(String(i), s);
    if (s.traceId !== traceIdOf(i)) problems.push(`server span ${i} in trace ${s.traceId}`);
    if (s.parentId !== parentIdOf(i)) problems.push(`server span ${i} under ${s.parentId}`);
  }
  const spanById = new Map(finished.map((s) => [s.spanId, s]));
  let children = 0;
  for (const s of finished) {
    if (s.finishCount !== 1) problems.push(`${s.name} finished ${s.finishCount} times`);
    const id = s.tags['request.id'];
    if (s === byId.get(String(id)) || id === undefined) continue;
    children++;
    const own = byId.get(String(id))!;
    if (s.traceId !== own.traceId) problems.push(`${s.name} of request ${id} in foreign trace ${s.traceId}`);
    let up = spanById.get(s.parentId ?? '');
    while (up !== undefined && up !== own && up.tags['span.kind'] !== 'server') up = spanById.get(up.parentId ?? '');
    if (up !== own) problems.push(`${s.name} of request ${id} is not under its own request span`);
  }
  for (const { id, traceparent } of downstreamSeen) {
    const [, traceId, parentId] = traceparent.split('-');
    if (traceId !== traceIdOf(Number(id))) problems.push(`outgoing call of ${id} carried trace ${traceId}`);
    const client = spanById.get(parentId);
    if (client?.tags['request.id'] !== id || client.tags['span.kind'] !== 'client') problems.push(`outgoing call of ${id} names span ${parentId}`);
  }
  assert.ok(children > REQUESTS * 2, `~> ${children} child spans checked`);
  assert.ok(downstreamSeen.length > REQUESTS / 2, `~> ${downstreamSeen.length} outgoing calls checked`);
  assert.equal(problems.slice(0, 10), [], `~> ${problems.length} problems`);
});
c45.run();

const c46 = suite('C3.46 timers and nested scopes');
c46('C3.46 10,000 iterations: same-timeout timers in different contexts and 4-level nested withSpan around traced calls, 0 mismatches', async () => {
  const tracer = installRecordingTracer();
  const m = faults.traced();
  const spans = Array.from({ length: 4 }, (_, i) => tracer.startSpan(`level${i}`));
  let mismatches = 0;
  const expect = (span: unknown) => void (activeSpan() === span || mismatches++);
  const timers: Promise<void>[] = [];
  for (let i = 0; i < 10_000; i++) {
    const a = spans[i % 4];
    const b = spans[(i + 1) % 4];
    withSpan(a, () => timers.push(new Promise((r) => setTimeout(() => r(expect(a)), 1))));
    withSpan(b, () => timers.push(new Promise((r) => setTimeout(() => r(expect(b)), 1))));
    await withSpan(spans[0], async () => {
      await withSpan(spans[1], async () => {
        await withSpan(spans[2], async () => {
          await withSpan(spans[3], async () => {
            await m.asyncWork(i);
            expect(spans[3]);
          });
          expect(spans[2]);
          m.syncWork(i, { n: 0 });
          expect(spans[2]);
        });
        expect(spans[1]);
      });
      expect(spans[0]);
    });
    expect(undefined);
  }
  await Promise.all(timers);
  setTracer(undefined);
  assert.is(mismatches, 0);
});
c46.run();

const c47 = suite('C3.47 restoration after faults');
c47('C3.47 100,000 calls that throw, reject, or meet a throwing tracer: the caller span is active again after 100 %', async () => {
  const m = faults.traced();
  const tracer = installFaultTracer({});
  const outer = tracer.startSpan('outer');
  let mismatches = 0;
  await withSpan(outer, async () => {
    for (let i = 0; i < 100_000; i++) {
      tracer.plan = i % 3 === 2 ? { throws: 'all', value: 'string' } : {};
      try {
        if (i % 2) m.throwing(i);
        else if (i % 50 === 0) await m.rejecting(i);
        else m.syncWork(i, { n: 1 });
      } catch {}
      if (activeSpan() !== outer) mismatches++;
    }
  });
  setTracer(undefined);
  resetFaults();
  assert.is(mismatches, 0);
});
c47.run();
