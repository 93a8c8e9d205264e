/**
 * The public functions end to end: format precedence (RELIABILITY C1 case 25), inject → extract round trips
 * for every format, and the inject side of case 26, through a real `http.request` to a loopback server.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  childContext,
  extractContext,
  extractSampling,
  injectContext,
  newRootContext,
  parseTracestate,
  type PropagationFormat,
  type TraceContext,
} from '../../../src/runtime/propagation';
import { B3S, B3T, P, T, TP } from './cases';

const ALL: readonly PropagationFormat[] = ['w3c', 'b3', 'b3multi', 'uber'];
const U = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CONFLICT = {
  traceparent: TP,
  tracestate: 'vendor=1',
  b3: `${B3T}-${B3S}-0`,
  'x-b3-traceid': B3T,
  'x-b3-spanid': B3S,
  'uber-trace-id': `${U}:${P}:0:1`,
};

const extract = suite('extractContext (precedence)');
extract('C1.25 conflicting formats: the first listed that is valid wins, 1000 of 1000 runs', () => {
  const orders: ReadonlyArray<readonly [readonly PropagationFormat[], string]> = [
    [ALL, T],
    [['b3', 'w3c'], B3T],
    [['b3multi', 'w3c'], B3T],
    [['uber', 'b3', 'w3c'], U],
  ];
  for (const [formats, traceId] of orders) {
    for (let run = 0; run < 1000; run++) assert.is(extractContext(CONFLICT, formats)?.traceId, traceId, `~> ${formats.join(',')} run ${run}`);
  }
});
extract('C1.25 a tracestate is never attached to a B3- or Jaeger-derived context', () => {
  assert.is(extractContext(CONFLICT, ['b3', 'w3c'])?.traceState, undefined);
  assert.is(extractContext({ ...CONFLICT, traceparent: 'invalid' }, ALL)?.format, 'b3', '~> W3C invalid: B3 next');
  assert.is(extractContext({ ...CONFLICT, traceparent: 'invalid' }, ALL)?.traceState, undefined);
  assert.is(extractContext(CONFLICT, ALL)?.traceState, 'vendor=1', '~> the W3C context has it');
});
extract('the default is W3C only', () => {
  assert.is(extractContext({ b3: `${B3T}-${B3S}-1`, 'uber-trace-id': `${U}:${P}:0:1` }), undefined);
});
extract.run();

const sampling = suite('extractSampling');
sampling('is the sampled flag of the winning context, else a decision sent without ids', () => {
  assert.is(extractSampling(CONFLICT, ALL), true);
  assert.is(extractSampling(CONFLICT, ['b3']), false);
  assert.is(extractSampling({ b3: '0', traceparent: TP }, ['b3', 'w3c']), true, '~> a valid context beats a bare decision');
  assert.is(extractSampling({ b3: '0' }), undefined, '~> B3 not asked for');
  assert.is(extractSampling({}), undefined);
});
sampling.run();

function roundTrip(ctx: TraceContext, format: PropagationFormat): TraceContext | undefined {
  const headers: Record<string, unknown> = {};
  injectContext(ctx, headers, [format]);
  return extractContext(headers, [format]);
}

const inject = suite('injectContext');
inject('round-trips ids and the sampled flag through every format', () => {
  for (const format of ALL) {
    for (const sampled of [true, false]) {
      const ctx = { ...newRootContext(sampled) };
      const back = roundTrip(ctx, format)!;
      assert.is(back.traceId, ctx.traceId, `~> ${format} trace id`);
      assert.is(back.spanId, ctx.spanId, `~> ${format} span id`);
      assert.is(back.sampled, sampled, `~> ${format} sampled`);
      assert.is(back.format, format);
    }
  }
});
inject('W3C carries the random flag, tracestate and baggage; uber carries baggage', () => {
  const ctx: TraceContext = { ...newRootContext(), traceState: 'a=1,b=2', baggage: { user: 'Am\u00e9lie', 'k.v': 'x=y;z' } };
  const w3c = roundTrip(ctx, 'w3c')!;
  assert.is(w3c.random, true);
  assert.is(w3c.traceState, 'a=1,b=2');
  assert.equal({ ...w3c.baggage }, { ...ctx.baggage });
  const uber = roundTrip(ctx, 'uber')!;
  assert.equal({ ...uber.baggage }, { user: 'Am\u00e9lie', 'k.v': 'x=y;z' });
  assert.is(roundTrip(ctx, 'b3')!.baggage, undefined, '~> B3 has no baggage');
});
inject('writes every format at once with lower-case names', () => {
  const headers: Record<string, unknown> = {};
  injectContext({ traceId: T, spanId: P, sampled: true, baggage: { k: 'v' } }, headers, ALL);
  assert.equal(headers, {
    traceparent: TP,
    baggage: 'k=v',
    b3: `${T}-${P}-1`,
    'x-b3-traceid': T,
    'x-b3-spanid': P,
    'x-b3-sampled': '1',
    'uber-trace-id': `${T}:${P}:0:01`,
    'uberctx-k': 'v',
  });
});
inject('writes into fetch Headers through set()', () => {
  const headers = new Headers({ traceparent: 'stale' });
  injectContext({ traceId: T, spanId: P, sampled: true }, headers);
  assert.is(headers.get('traceparent'), TP, '~> replaced, not appended');
});
inject('writes nothing for a context with invalid ids', () => {
  const bad: unknown[] = [
    { traceId: '00000000000000000000000000000000', spanId: P, sampled: true },
    { traceId: T, spanId: '0000000000000000', sampled: true },
    { traceId: T.toUpperCase(), spanId: P, sampled: true },
    { traceId: `${T}\r\n`, spanId: P, sampled: true },
    { traceId: T, spanId: 42, sampled: true },
    null,
    undefined,
    42,
    'ctx',
    Object.defineProperty({}, 'traceId', { get: () => { throw new Error('getter'); } }),
  ];
  for (const ctx of bad) {
    const headers: Record<string, unknown> = {};
    injectContext(ctx as TraceContext, headers, ALL);
    assert.equal(headers, {}, `~> ${JSON.stringify(ctx)}`);
  }
});
inject('never throws on a frozen carrier, a throwing setter or a non-object', () => {
  const ctx = newRootContext();
  injectContext(ctx, Object.freeze({}));
  injectContext(ctx, { set() { throw new Error('set'); } });
  injectContext(ctx, new Proxy({}, { set() { throw new Error('trap'); }, get() { throw new Error('trap'); } }));
  for (const carrier of [null, undefined, 42, 'headers']) injectContext(ctx, carrier as never);
  injectContext({ ...ctx, baggage: new Proxy({}, { ownKeys() { throw new Error('keys'); } }) }, {});
  const getterBag = Object.defineProperty({ ok: 'v' }, 'bad', { enumerable: true, get: () => { throw new Error('getter'); } });
  const headers: Record<string, unknown> = {};
  injectContext({ ...ctx, baggage: getterBag }, headers, ['uber', 'w3c']);
  assert.equal([headers['uberctx-ok'], headers.baggage, typeof headers.traceparent], ['v', 'ok=v', 'string'], '~> a throwing baggage getter skips that item only');
});

const HOSTILE = ['a\r\nX-Evil: 1', 'a\u0000b', 'caf\u00e9', 'a,b', 'a;b', 'a\nb', '\u{1F600}', 'a\ud800'];
/** What a string becomes as UTF-8: lone surrogates turn into U+FFFD. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
function hostileContexts(): TraceContext[] {
  return HOSTILE.map((value, i) => ({
    ...newRootContext(i % 2 === 0),
    traceState: i % 2 ? `k=${value}` : `ok=1,k${i}=${value}`,
    baggage: { [`b${i}`]: value, 'bad key': value, [`x\r\n${i}`]: 'v', ok: 'fine' },
  }));
}
inject('C1.26 hostile tracestate and baggage values never produce an invalid header value', () => {
  for (const ctx of hostileContexts()) {
    const headers: Record<string, unknown> = {};
    injectContext(ctx, headers, ALL);
    for (const [name, value] of Object.entries(headers)) {
      assert.type(value, 'string');
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value as string);
      assert.ok(/^[\x20-\x7e]*$/.test(value as string), `~> ${name}: printable ASCII`);
    }
    const valid = parseTracestate(ctx.traceState);
    assert.is(headers.tracestate, valid, valid ? '~> a valid tracestate (";" is allowed) goes out' : '~> the invalid tracestate is dropped');
  }
});
inject.run();

const wire = suite('injectContext (over http)');
let server: http.Server;
let port = 0;
const seen: http.IncomingMessage[] = [];
wire.before(async () => {
  server = http.createServer((req, res) => {
    seen.push(req);
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
wire.after(() => new Promise<void>((done) => server.close(() => done())));

async function send(headers: Record<string, unknown>): Promise<http.IncomingMessage> {
  seen.length = 0;
  const req = http.request({ host: '127.0.0.1', port, path: '/', headers: headers as http.OutgoingHttpHeaders, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  res.resume();
  await once(res, 'end');
  return seen[0];
}

wire('C1.26 hostile values go out through http.request: no ERR_INVALID_CHAR, no header splitting', async () => {
  for (const ctx of hostileContexts()) {
    const headers: Record<string, unknown> = { 'x-host': 'mine' };
    injectContext(ctx, headers, ALL);
    const received = await send(headers);
    const names = new Set(Object.keys(received.headers));
    const expected = new Set([...Object.keys(headers), 'host', 'connection']);
    assert.equal([...names].sort(), [...expected].sort(), '~> exactly the host headers and the trace headers');
    assert.is(received.headers['x-evil'], undefined, '~> no injected header');
    for (const format of ALL) {
      const back = extractContext(received.headers, [format]);
      assert.is(back?.traceId, ctx.traceId, `~> ${format} trace id over the wire`);
      assert.is(back?.sampled, ctx.sampled, `~> ${format} sampled over the wire`);
    }
    const bag = extractContext(received.headers)!.baggage!;
    assert.equal({ ...bag }, Object.fromEntries(Object.entries(ctx.baggage!).filter(([k]) => !k.includes(' ') && !k.includes('\r')).map(([k, v]) => [k, wellFormed(v)])), '~> baggage values back intact');
  }
});
wire('every format round-trips over the wire with node IncomingHttpHeaders and headersDistinct', async () => {
  const ctx: TraceContext = { ...newRootContext(false), traceState: 'x=1', baggage: { k: 'v w' } };
  const headers: Record<string, unknown> = {};
  injectContext(ctx, headers, ALL);
  const received = await send(headers);
  for (const format of ALL) {
    for (const carrier of [received.headers, received.headersDistinct]) {
      const back = extractContext(carrier, [format])!;
      assert.equal([back.traceId, back.spanId, back.sampled], [ctx.traceId, ctx.spanId, false], `~> ${format}`);
    }
  }
  assert.is(extractContext(received.headersDistinct)?.traceState, 'x=1');
});
wire.run();

const root = suite('newRootContext');
root('makes fresh random ids with the random flag, sampled by default', () => {
  const a = newRootContext();
  const b = newRootContext(false);
  assert.ok(/^[0-9a-f]{32}$/.test(a.traceId) && /^[0-9a-f]{16}$/.test(a.spanId));
  assert.is.not(a.traceId, b.traceId);
  assert.equal([a.sampled, a.random, b.sampled], [true, true, false]);
});
root.run();

const child = suite('childContext');
child('keeps trace id, flags, tracestate and baggage; new span id; no format', () => {
  const parent = extractContext({ traceparent: `00-${T}-${P}-03`, tracestate: 'a=1', baggage: 'k=v' })!;
  const c = childContext(parent);
  assert.equal([c.traceId, c.sampled, c.random, c.traceState, c.baggage], [T, true, true, 'a=1', parent.baggage]);
  assert.is.not(c.spanId, P);
  assert.ok(/^[0-9a-f]{16}$/.test(c.spanId));
  assert.not.ok('format' in c);
});
child.run();
