/**
 * The W3C Trace Context test suite (w3c/trace-context test/test.py, STRICT_LEVEL=2), replayed over real
 * loopback HTTP against a minimal service built only from this module: it extracts from `req.headers`, opens
 * a child (or a new root), and calls the harness back with `injectContext` headers. Requests are written on a
 * raw socket so header names, repeats and empty values arrive exactly as the suite sends them.
 */
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { childContext, extractContext, injectContext, newRootContext } from '../../../src/runtime/propagation';
import { bars, Q, readCallback, S, type Header } from '../../helpers/w3c-harness';

const callbacks = new Map<string, string[][]>();
let harnessPort = 0;
let servicePort = 0;
const harness = http.createServer((req, res) => {
  const id = req.url!.slice(1).split('.')[0];
  const list = callbacks.get(id) ?? [];
  list.push(req.rawHeaders);
  callbacks.set(id, list);
  res.end();
});
/** The service under test: propagation only, as a tracer's middleware and client wrapper would use it. */
const service = http.createServer((req, res) => {
  respond(req, res).catch((error: Error) => res.writeHead(500).end(error.message));
});
async function respond(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url!, 'http://127.0.0.1');
  const incoming = extractContext(req.headers);
  const span = incoming ? childContext(incoming) : newRootContext();
  const count = Number(url.searchParams.get('n'));
  for (let i = 0; i < count; i++) {
    const headers: http.OutgoingHttpHeaders = {};
    injectContext(childContext(span), headers);
    const call = http.request({ host: '127.0.0.1', port: harnessPort, path: `/${url.searchParams.get('id')}.${i}`, method: 'POST', headers, agent: false });
    call.end('{}');
    const [response] = (await once(call, 'response')) as [http.IncomingMessage];
    response.resume();
    await once(response, 'end');
  }
  res.end('ok');
}

let nextId = 0;
/** Sends `headers` to the service as raw header lines, and returns the callbacks it made to the harness. */
async function request(headers: readonly Header[], count = 1): Promise<string[][]> {
  const id = `t${nextId++}`;
  const socket = net.connect(servicePort, '127.0.0.1');
  await once(socket, 'connect');
  const lines = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  let reply = '';
  socket.setEncoding('latin1').on('data', (d) => (reply += d));
  socket.write(`POST /test?id=${id}&n=${count} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Content-Length: 0\r\nConnection: close\r\n\r\n`);
  await once(socket, 'close');
  assert.ok(reply.startsWith('HTTP/1.1 200'), `~> the service answered: ${reply.split('\r\n')[0]}`);
  const got = callbacks.get(id) ?? [];
  assert.is(got.length, count, '~> the service called the harness back');
  return got;
}

const single = async (headers: readonly Header[]) => readCallback((await request(headers))[0]);

const TP00 = `00-${S}-${Q}-00`;
/** Expect a new trace for each traceparent value. */
async function newTraceFor(...values: string[]): Promise<void> {
  for (const value of values) assert.is.not((await single([['traceparent', value]])).traceId, S, `~> new trace for ${JSON.stringify(value)}`);
}

const w3c = suite('extractContext + injectContext (W3C test suite, STRICT_LEVEL=2)');
w3c.before(async () => {
  harness.listen(0, '127.0.0.1');
  service.listen(0, '127.0.0.1');
  await Promise.all([once(harness, 'listening'), once(service, 'listening')]);
  harnessPort = (harness.address() as AddressInfo).port;
  servicePort = (service.address() as AddressInfo).port;
});
w3c.after(async () => {
  await Promise.all([new Promise((r) => harness.close(r)), new Promise((r) => service.close(r))]);
});

w3c('test_both_traceparent_and_tracestate_missing', async () => {
  await single([]);
});
w3c('test_traceparent_included_tracestate_missing', async () => {
  const got = await single([['traceparent', `00-${S}-${Q}-01`]]);
  assert.is(got.traceId, S);
  assert.is.not(got.parentId, Q);
});
w3c('test_traceparent_duplicated (C1.9)', async () => {
  const got = await single([['traceparent', `00-${S.slice(0, 31)}1-${Q}-01`], ['traceparent', `00-${S}-${Q}-01`]]);
  assert.ok(got.traceId !== S && got.traceId !== `${S.slice(0, 31)}1`);
});
w3c('test_traceparent_header_name (C1.11)', async () => {
  for (const name of ['trace-parent', 'trace.parent']) assert.is.not((await single([[name, `00-${S}-${Q}-01`]])).traceId, S);
});
w3c('test_traceparent_header_name_valid_casing (C1.11)', async () => {
  for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) assert.is((await single([[name, `00-${S}-${Q}-01`]])).traceId, S);
});
w3c('test_traceparent_version_0x00 (C1.2)', () => newTraceFor(`00-${S}-${Q}-01.`, `00-${S}-${Q}-01-what-the-future-will-be-like`));
w3c('test_traceparent_version_0xcc (C1.3)', async () => {
  assert.is((await single([['traceparent', `cc-${S}-${Q}-01`]])).traceId, S);
  assert.is((await single([['traceparent', `cc-${S}-${Q}-01-what-the-future-will-be-like`]])).traceId, S);
  await newTraceFor(`cc-${S}-${Q}-01.what-the-future-will-be-like`);
});
w3c('test_traceparent_version_0xff (C1.1)', () => newTraceFor(`ff-${S}-${Q}-01`));
w3c('test_traceparent_version_illegal_characters (C1.7)', () => newTraceFor(`.0-${S}-${Q}-01`, `0.-${S}-${Q}-01`));
w3c('test_traceparent_version_too_long (C1.6)', () => newTraceFor(`000-${S}-${Q}-01`, `0000-${S}-${Q}-01`));
w3c('test_traceparent_version_too_short (C1.6)', () => newTraceFor(`0-${S}-${Q}-01`));
w3c('test_traceparent_trace_id_all_zero (C1.4)', async () => {
  assert.is.not((await single([['traceparent', `00-${'0'.repeat(32)}-${Q}-01`]])).traceId, '0'.repeat(32));
});
w3c('test_traceparent_trace_id_illegal_characters (C1.7)', () => newTraceFor(`00-.${S.slice(1)}-${Q}-01`, `00-${S.slice(0, 31)}.-${Q}-01`));
w3c('test_traceparent_trace_id_too_long (C1.6)', async () => {
  const got = await single([['traceparent', `00-${S}3-${Q}-01`]]);
  assert.ok(got.traceId !== S && got.traceId !== `${S.slice(1)}3`);
});
w3c('test_traceparent_trace_id_too_short (C1.6)', () => newTraceFor(`00-${S.slice(0, 31)}-${Q}-01`));
w3c('test_traceparent_parent_id_all_zero (C1.4)', () => newTraceFor(`00-${S}-${'0'.repeat(16)}-01`));
w3c('test_traceparent_parent_id_illegal_characters (C1.7)', () => newTraceFor(`00-${S}-.${Q.slice(1)}-01`, `00-${S}-${Q.slice(0, 15)}.-01`));
w3c('test_traceparent_parent_id_too_long (C1.6)', () => newTraceFor(`00-${S}-${Q}7-01`));
w3c('test_traceparent_parent_id_too_short (C1.6)', () => newTraceFor(`00-${S}-${Q.slice(0, 15)}-01`));
w3c('test_traceparent_trace_flags_illegal_characters (C1.7)', () => newTraceFor(`00-${S}-${Q}-.0`, `00-${S}-${Q}-0.`));
w3c('test_traceparent_trace_flags_too_long (C1.6)', () => newTraceFor(`00-${S}-${Q}-001`));
w3c('test_traceparent_trace_flags_too_short (C1.6)', () => newTraceFor(`00-${S}-${Q}-1`));
w3c('test_traceparent_ows_handling (C1.10)', async () => {
  for (const value of [` 00-${S}-${Q}-01`, `\t00-${S}-${Q}-01`, `00-${S}-${Q}-01 `, `00-${S}-${Q}-01\t`, `\t 00-${S}-${Q}-01 \t`]) {
    assert.is((await single([['traceparent', value]])).traceId, S, `~> ${JSON.stringify(value)}`);
  }
});
w3c('test_tracestate_included_traceparent_missing (C1.15)', async () => {
  const one = await single([['tracestate', 'foo=1']]);
  const two = await single([['tracestate', 'foo=1,bar=2']]);
  assert.is(one.tracestate.size, two.tracestate.size);
  assert.is(one.tracestate.size, 0);
});
w3c('test_tracestate_included_traceparent_included', async () => {
  const got = await single([['traceparent', TP00], ['tracestate', 'foo=1,bar=2']]);
  assert.is(got.traceId, S);
  assert.equal([...got.tracestate], [['foo', '1'], ['bar', '2']]);
});
w3c('test_tracestate_header_name', async () => {
  for (const name of ['trace-state', 'trace.state']) assert.not.ok((await single([['traceparent', TP00], [name, 'foo=1']])).tracestate.has('foo'));
});
w3c('test_tracestate_header_name_valid_casing', async () => {
  for (const name of ['TraceState', 'TrAcEsTaTe', 'TRACESTATE']) assert.is((await single([['traceparent', TP00], [name, 'foo=1']])).tracestate.get('foo'), '1');
});
w3c('test_tracestate_empty_header (C1.14)', async () => {
  const empty = await single([['traceparent', TP00], ['tracestate', '']]);
  assert.is(empty.traceId, S);
  assert.is(empty.tracestate.size, 0);
  for (const order of [[['tracestate', 'foo=1'], ['tracestate', '']], [['tracestate', ''], ['tracestate', 'foo=1']]] as Header[][]) {
    const got = await single([['traceparent', TP00], ...order]);
    assert.is(got.traceId, S);
    assert.is(got.tracestate.get('foo'), '1');
  }
});
w3c('test_tracestate_multiple_headers_different_keys (C1.14)', async () => {
  const got = await single([['traceparent', TP00], ['tracestate', 'foo=1,bar=2'], ['tracestate', 'rojo=1,congo=2'], ['tracestate', 'baz=3']]);
  assert.is(got.traceId, S);
  assert.is(got.tracestateText, 'foo=1,bar=2,rojo=1,congo=2,baz=3');
});
w3c('test_tracestate_duplicated_keys (C1.14: the suite requires discarding)', async () => {
  for (const headers of [[['tracestate', 'foo=1,foo=1']], [['tracestate', 'foo=1,foo=2']], [['tracestate', 'foo=1'], ['tracestate', 'foo=1']], [['tracestate', 'foo=1'], ['tracestate', 'foo=2']]] as Header[][]) {
    const got = await single([['traceparent', TP00], ...headers]);
    assert.is(got.traceId, S);
    assert.not.ok(got.tracestate.has('foo'), `~> ${JSON.stringify(headers)}`);
  }
});
w3c('test_tracestate_all_allowed_characters (C1.14)', async () => {
  const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
  const value = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== ',' && c !== '=').join('');
  for (const k of [key, `${key}@a-z0-9_-*/`]) assert.is((await single([['traceparent', TP00], ['tracestate', `${k}=${value}`]])).tracestate.get(k), value);
});
w3c('test_tracestate_ows_handling (C1.14)', async () => {
  for (const value of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) {
    assert.equal([...(await single([['traceparent', TP00], ['tracestate', value]])).tracestate], [['foo', '1'], ['bar', '2'], ['baz', '3']]);
  }
  for (const value of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) {
    const got = await single([['traceparent', TP00], ['tracestate', value]]);
    assert.is(got.traceId, S);
    assert.is(got.tracestate.get('foo'), '1');
  }
});
w3c('test_tracestate_key_illegal_characters (C1.13)', async () => {
  for (const value of ['foo =1', 'FOO=1', 'foo.bar=1']) assert.is((await single([['traceparent', TP00], ['tracestate', value]])).tracestate.size, 0, `~> ${value}`);
});
w3c('test_tracestate_key_illegal_vendor_format (C1.13)', async () => {
  for (const value of ['foo@=1,bar=2', '@foo=1,bar=2', 'foo@@bar=1,bar=2', 'foo@bar@baz=1,bar=2']) {
    assert.not.ok((await single([['traceparent', TP00], ['tracestate', value]])).tracestate.has('bar'), `~> ${value}`);
  }
});
w3c('test_tracestate_member_count_limit (C1.13)', async () => {
  const lines = (last: string): Header[] => [['traceparent', TP00], ['tracestate', bars(1, 10)], ['tracestate', bars(11, 20)], ['tracestate', bars(21, 30)], ['tracestate', last]];
  const ok = await single(lines(bars(31, 32)));
  assert.is(ok.tracestate.get('bar01'), '01');
  assert.is(ok.tracestate.size, 32);
  assert.not.ok((await single(lines(bars(31, 33)))).tracestate.has('bar01'));
});
w3c('test_tracestate_key_length_limit (C1.13, C1.14)', async () => {
  const withFoo = (second: string) => single([['traceparent', TP00], ['tracestate', 'foo=1'], ['tracestate', second]]);
  assert.is((await withFoo(`${'z'.repeat(256)}=1`)).tracestate.get('foo'), '1');
  assert.not.ok((await withFoo(`${'z'.repeat(257)}=1`)).tracestate.has('foo'));
  assert.is((await withFoo(`${'t'.repeat(241)}@${'v'.repeat(14)}=1`)).tracestate.get('foo'), '1');
  assert.not.ok((await withFoo(`${'t'.repeat(242)}@v=1`)).tracestate.has('foo'));
  assert.not.ok((await withFoo(`t@${'v'.repeat(15)}=1`)).tracestate.has('foo'));
});
w3c('test_tracestate_value_illegal_characters (C1.13)', async () => {
  assert.not.ok((await single([['traceparent', TP00], ['tracestate', 'foo=bar=baz']])).tracestate.has('foo'));
  const got = await single([['traceparent', TP00], ['tracestate', 'foo=,bar=3']]);
  assert.not.ok(got.tracestate.has('foo') || got.tracestate.has('bar'));
});
w3c('test_multiple_requests_with_valid_traceparent', async () => {
  const got = (await request([['traceparent', `00-${S}-${Q}-01`]], 3)).map(readCallback);
  assert.equal([...new Set(got.map((g) => g.traceId))], [S]);
  assert.is(new Set(got.map((g) => g.parentId)).size, 3);
});
w3c('test_multiple_requests_without_traceparent', async () => {
  const got = (await request([], 3)).map(readCallback);
  assert.is(new Set(got.map((g) => g.parentId)).size, 3);
});
w3c('test_multiple_requests_with_illegal_traceparent', async () => {
  const got = (await request([['traceparent', `00-${'0'.repeat(32)}-${Q}-01`]], 3)).map(readCallback);
  assert.not.ok(got.some((g) => g.traceId === '0'.repeat(32)));
  assert.is(new Set(got.map((g) => g.parentId)).size, 3);
});
w3c.run();
