/**
 * Incoming trace headers, real ones on the wire, through each server integration with the DevTracer (which reads
 * W3C, B3 (single and multi) and uber headers with the strict parsers of src/runtime/propagation): valid ones continue the
 * caller's trace, malformed ones start a new valid trace with an identical response and nothing thrown
 * (RELIABILITY C1, wire level).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import Koa from 'koa';
import Fastify from 'fastify';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DevTracer } from '../../../src/runtime/dev/dev-tracer';
import type { DevSpan } from '../../../src/runtime/dev/span';
import { activeSpan } from '../../../src/runtime/scope';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { setTracer } from '../../../src/runtime/tracer';
import { traceHandler } from '../../../src/runtime/servers/http';
import { tracingMiddleware } from '../../../src/runtime/servers/express';
import { koaTracing } from '../../../src/runtime/servers/koa';
import { fastifyTracing } from '../../../src/runtime/servers/fastify';
import { getSpan } from '../../../src/runtime/servers/request-span';
import { B3S, B3T, P, REJECTED_B3, REJECTED_TRACEPARENTS, REJECTED_UBER, T, TP } from '../propagation/cases';
import { close, listen, send, until, type Reply } from './helpers';

type Headers = Record<string, string | string[]>;

/** The answer of every app: the same bytes whatever the headers, unless the request span is not the active span. */
function answer(req: IncomingMessage): string {
  return activeSpan() !== undefined && activeSpan() === getSpan(req) ? 'ok' : 'request span not active';
}

/** One server per integration, each answering `/p` with `answer(req)`. */
const APPS: Record<string, () => Promise<{ port: number; stop(): Promise<void> }>> = {
  http: () => start(createServer(traceHandler((req: IncomingMessage, res: ServerResponse) => res.end(answer(req))))),
  express: () => {
    const app = express();
    app.use(tracingMiddleware());
    app.get('/p', (req, res) => {
      res.type('text/plain').send(answer(req));
    });
    return start(createServer(app));
  },
  koa: () => {
    const app = new Koa();
    app.use(koaTracing());
    app.use((ctx) => {
      ctx.body = answer(ctx.req);
    });
    return start(createServer(app.callback()));
  },
  fastify: async () => {
    const app = Fastify();
    app.register(fastifyTracing);
    app.get('/p', async (request) => answer(request.raw));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    return {
      port: typeof address === 'object' && address ? address.port : 0,
      stop: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    };
  },
};

async function start(server: Server) {
  const port = await listen(server);
  return { port, stop: () => close(server) };
}

/** What Node's HTTP client can put on the wire: no control bytes, and under the server's header size limit. */
const sendable = (value: string) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value) && value.length < 8000;

/** At least 30 malformed inputs, taken from the propagation tests' own tables (RELIABILITY C1.1-C1.23). */
const MALFORMED: readonly (readonly [string, Headers])[] = [
  ...REJECTED_TRACEPARENTS.flatMap(([label, values]) =>
    values.filter(sendable).map((v, i) => [`${label} #${i + 1}`, { traceparent: v }] as const),
  ),
  ['C1.9 two traceparent header lines', { traceparent: [TP, `00-${B3T}-${B3S}-01`] }],
  ['C1.11 trace-parent is not traceparent', { 'trace-parent': TP }],
  ['C1.15 tracestate without traceparent', { tracestate: 'foo=1' }],
  ['C1.17 baggage alone, malformed', { baggage: '289371298nekjh2939299283jbk2b' }],
  ...REJECTED_B3.filter(sendable).map((v, i) => [`C1.21 b3 #${i + 1}`, { b3: v }] as const),
  ['C1.22 X-B3-TraceId without X-B3-SpanId', { 'x-b3-traceid': B3T }],
  ['C1.22 X-B3-SpanId without X-B3-TraceId', { 'x-b3-spanid': B3S }],
  ['C1.22 X-B3-TraceId holding a traceparent', { 'x-b3-traceid': TP, 'x-b3-spanid': B3S }],
  ...REJECTED_UBER.filter(sendable).map((v, i) => [`C1.23 uber-trace-id #${i + 1}`, { 'uber-trace-id': v }] as const),
];

/** Valid inputs: the server span continues the caller's trace. [label, headers, trace id, parent id]. */
const VALID: readonly (readonly [string, Headers, string, string])[] = [
  ['traceparent', { traceparent: TP }, T, P],
  ['C1.3 future version', { traceparent: `cc-${T}-${P}-01-what-the-future-will-be-like` }, T, P],
  ['C1.10 surrounding whitespace', { traceparent: ` \t${TP}\t ` }, T, P],
  ['C1.11 header name in capitals', { TRACEPARENT: TP }, T, P],
  ['b3 single', { b3: `${B3T}-${B3S}-1` }, B3T, B3S],
  ['C1.21 b3 with a 64-bit trace id', { b3: `463ac35c9f6413ad-${B3S}-1` }, '0000000000000000463ac35c9f6413ad', B3S],
  ['b3 multi', { 'x-b3-traceid': B3T, 'x-b3-spanid': B3S, 'x-b3-sampled': '1' }, B3T, B3S],
  ['uber-trace-id', { 'uber-trace-id': `${T}:${P}:0:1` }, T, P],
  ['C1.25 traceparent wins over b3 and uber', { traceparent: TP, b3: `${B3T}-${B3S}-1`, 'uber-trace-id': `${B3T}:${B3S}:0:1` }, T, P],
  ['malformed traceparent, valid b3 next in line', { traceparent: 'invalid!', b3: `${B3T}-${B3S}-1` }, B3T, B3S],
];

const TRACE_ID = /^[0-9a-f]{32}$/;

async function exchange(tracer: DevTracer, port: number, headers: Headers): Promise<{ reply: Pick<Reply, 'status' | 'body'> & { type: unknown }; span: DevSpan }> {
  const spans: DevSpan[] = [];
  const off = tracer.onFinish((s) => spans.push(s));
  try {
    const r = await send(port, '/p', { headers });
    await until(() => spans.length === 1);
    return { reply: { status: r.status, body: r.body, type: r.headers['content-type'] }, span: spans[0] };
  } finally {
    off();
  }
}

for (const [framework, startApp] of Object.entries(APPS)) {
  const test = suite(`incoming trace headers (${framework})`);

  test(`${MALFORMED.length} malformed inputs: each a new valid trace, an identical response, nothing thrown`, async () => {
    assert.ok(MALFORMED.length >= 30, '~> at least 30 inputs');
    const tracer = new DevTracer({ propagation: ['w3c', 'b3', 'b3multi', 'uber'] });
    setTracer(tracer);
    resetFaults();
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    const app = await startApp();
    try {
      const reference = (await exchange(tracer, app.port, {})).reply;
      assert.equal(reference, { ...reference, status: 200, body: 'ok' });
      const problems: string[] = [];
      const traceIds = new Set<string>();
      for (const [label, headers] of MALFORMED) {
        const { reply, span } = await exchange(tracer, app.port, headers);
        if (JSON.stringify(reply) !== JSON.stringify(reference)) problems.push(`${label}: response ${JSON.stringify(reply)}`);
        if (!TRACE_ID.test(span.traceId) || /^0+$/.test(span.traceId)) problems.push(`${label}: trace id ${span.traceId}`);
        if ([T, B3T].some((id) => span.traceId.endsWith(id.slice(-16)))) problems.push(`${label}: kept the caller's trace id`);
        if (span.parentId !== undefined) problems.push(`${label}: parent ${span.parentId}`);
        if (span.finishCount !== 1) problems.push(`${label}: finished ${span.finishCount} times`);
        traceIds.add(span.traceId);
      }
      assert.equal(problems, []);
      assert.is(traceIds.size, MALFORMED.length, '~> a new trace each time');
      assert.equal(faultCounts(), {}, '~> no fault reported');
      assert.equal(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
      await app.stop();
    }
  });

  test('valid inputs continue the caller\'s trace under the caller\'s span', async () => {
    const tracer = new DevTracer({ propagation: ['w3c', 'b3', 'b3multi', 'uber'] });
    setTracer(tracer);
    const app = await startApp();
    try {
      for (const [label, headers, traceId, parentId] of VALID) {
        const { reply, span } = await exchange(tracer, app.port, headers);
        assert.is(reply.body, 'ok', `~> ${label}: response`);
        assert.is(span.traceId, traceId, `~> ${label}: trace id`);
        assert.is(span.parentId, parentId, `~> ${label}: parent id`);
        assert.is(span.parentIsLocal, false, `~> ${label}: a remote parent`);
      }
    } finally {
      await app.stop();
    }
  });

  test('tracestate and baggage come along with a valid traceparent', async () => {
    const tracer = new DevTracer();
    setTracer(tracer);
    const app = await startApp();
    try {
      const { span } = await exchange(tracer, app.port, {
        traceparent: TP,
        tracestate: ['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE'],
        baggage: 'userId=Am%C3%A9lie,__proto__=poison',
      });
      assert.is(span.traceId, T);
      assert.is(span.context().traceState, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
      assert.is(span.getBaggageItem('userId'), 'Amélie');
      assert.is(({} as Record<string, unknown>).poison, undefined, '~> no prototype pollution');
    } finally {
      await app.stop();
    }
  });

  test.run();
}
