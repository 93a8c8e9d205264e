/**
 * The W3C Trace Context test suite (w3c/trace-context test/test.py, STRICT_LEVEL=2) against the example service in
 * examples/w3c-test-service: a real node:http server traced by ts-traced's middleware, calling out through its http
 * client wrapper with the development tracer, started as its own process. Each case sends what the suite's harness
 * sends (raw header lines on a socket, a JSON list of callbacks) and reads the callbacks as the harness does. The
 * same cases against the propagation layer alone: test/runtime/propagation/w3c-suite.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/compile';
import { bars, Q, readCallback, S, type Header } from '../helpers/w3c-harness';

const callbacks = new Map<string, { raw: string[]; body: string }[]>();
const harness = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d)).on('end', () => {
    const id = req.url!.slice(1).split('.')[0];
    callbacks.set(id, [...(callbacks.get(id) ?? []), { raw: req.rawHeaders, body }]);
    res.end();
  });
});
let harnessPort = 0;
let service: ChildProcess;
let servicePort = 0;

let nextId = 0;
/** POST /test with `headers` as raw lines and `count` callbacks; returns the callbacks' raw headers. */
async function request(headers: readonly Header[], count = 1): Promise<string[][]> {
  const id = `t${nextId++}`;
  const body = JSON.stringify(Array.from({ length: count }, (_, i) => ({ url: `http://127.0.0.1:${harnessPort}/${id}.${i}`, arguments: [{ id, i }] })));
  const socket = net.connect(servicePort, '127.0.0.1');
  await once(socket, 'connect');
  let reply = '';
  socket.setEncoding('latin1').on('data', (d) => (reply += d));
  const lines = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`POST /test HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  await once(socket, 'close');
  assert.ok(reply.startsWith('HTTP/1.1 200'), `~> the service answered: ${reply.split('\r\n')[0]}`);
  const got = callbacks.get(id) ?? [];
  assert.is(got.length, count, '~> the service called back once per entry');
  got.forEach((g, i) => assert.equal(JSON.parse(g.body), [{ id, i }], '~> with the arguments it was given'));
  return got.map((g) => g.raw);
}

const single = async (headers: readonly Header[]) => readCallback((await request(headers))[0]);

const TP = `00-${S}-${Q}-01`;
const TP00 = `00-${S}-${Q}-00`;

/** Traceparent values that must each start a new trace. */
const NEW_TRACE: Record<string, readonly string[]> = {
  test_traceparent_version_0x00: [`00-${S}-${Q}-01.`, `00-${S}-${Q}-01-what-the-future-will-be-like`],
  test_traceparent_version_0xff: [`ff-${S}-${Q}-01`],
  test_traceparent_version_illegal_characters: [`.0-${S}-${Q}-01`, `0.-${S}-${Q}-01`],
  test_traceparent_version_too_long: [`000-${S}-${Q}-01`, `0000-${S}-${Q}-01`],
  test_traceparent_version_too_short: [`0-${S}-${Q}-01`],
  test_traceparent_trace_id_all_zero: [`00-${'0'.repeat(32)}-${Q}-01`],
  test_traceparent_trace_id_illegal_characters: [`00-.${S.slice(1)}-${Q}-01`, `00-${S.slice(0, 31)}.-${Q}-01`],
  test_traceparent_trace_id_too_long: [`00-${S}3-${Q}-01`],
  test_traceparent_trace_id_too_short: [`00-${S.slice(0, 31)}-${Q}-01`],
  test_traceparent_parent_id_all_zero: [`00-${S}-${'0'.repeat(16)}-01`],
  test_traceparent_parent_id_illegal_characters: [`00-${S}-.${Q.slice(1)}-01`, `00-${S}-${Q.slice(0, 15)}.-01`],
  test_traceparent_parent_id_too_long: [`00-${S}-${Q}7-01`],
  test_traceparent_parent_id_too_short: [`00-${S}-${Q.slice(0, 15)}-01`],
  test_traceparent_trace_flags_illegal_characters: [`00-${S}-${Q}-.0`, `00-${S}-${Q}-0.`],
  test_traceparent_trace_flags_too_long: [`00-${S}-${Q}-001`],
  test_traceparent_trace_flags_too_short: [`00-${S}-${Q}-1`],
};

/** Tracestate header sets (with TP00) after which the member `key` must be absent (the header was invalid). */
const DISCARDED: readonly [string, string, readonly (readonly Header[])[]][] = [
  ['test_tracestate_key_illegal_characters', 'foo', [[['tracestate', 'foo =1']], [['tracestate', 'FOO=1']], [['tracestate', 'foo.bar=1']]]],
  ['test_tracestate_key_illegal_vendor_format', 'bar', ['foo@=1,bar=2', '@foo=1,bar=2', 'foo@@bar=1,bar=2', 'foo@bar@baz=1,bar=2'].map((v) => [['tracestate', v]] as const)],
  ['test_tracestate_duplicated_keys', 'foo', [[['tracestate', 'foo=1,foo=1']], [['tracestate', 'foo=1,foo=2']], [['tracestate', 'foo=1'], ['tracestate', 'foo=1']], [['tracestate', 'foo=1'], ['tracestate', 'foo=2']]]],
  ['test_tracestate_value_illegal_characters', 'foo', [[['tracestate', 'foo=bar=baz']], [['tracestate', 'foo=,bar=3']]]],
];

const w3c = suite('examples/w3c-test-service (W3C test suite, STRICT_LEVEL=2)');
w3c.before(async () => {
  harness.listen(0, '127.0.0.1');
  await once(harness, 'listening');
  harnessPort = (harness.address() as AddressInfo).port;
  service = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/w3c-test-service/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', TSX_TSCONFIG_PATH: join(ROOT, 'examples/w3c-test-service/tsconfig.json') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(service.stdout!, 'data')) as [Buffer];
  servicePort = Number(new URL(line.toString().trim()).port);
});
w3c.after(async () => {
  service.kill();
  await new Promise((r) => harness.close(r));
});

w3c('test_both_traceparent_and_tracestate_missing', async () => {
  await single([]);
});
w3c('test_traceparent_included_tracestate_missing', async () => {
  const got = await single([['traceparent', TP]]);
  assert.is(got.traceId, S);
  assert.is.not(got.parentId, Q);
});
w3c('test_traceparent_duplicated (C1.9)', async () => {
  const got = await single([['traceparent', `00-${S.slice(0, 31)}1-${Q}-01`], ['traceparent', TP]]);
  assert.ok(got.traceId !== S && got.traceId !== `${S.slice(0, 31)}1`);
});
w3c('test_traceparent_header_name (C1.11)', async () => {
  for (const name of ['trace-parent', 'trace.parent']) assert.is.not((await single([[name, TP]])).traceId, S);
});
w3c('test_traceparent_header_name_valid_casing (C1.11)', async () => {
  for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) assert.is((await single([[name, TP]])).traceId, S);
});
w3c('test_traceparent_version_0xcc (C1.3)', async () => {
  assert.is((await single([['traceparent', `cc-${S}-${Q}-01`]])).traceId, S);
  assert.is((await single([['traceparent', `cc-${S}-${Q}-01-what-the-future-will-be-like`]])).traceId, S);
  assert.is.not((await single([['traceparent', `cc-${S}-${Q}-01.what-the-future-will-be-like`]])).traceId, S);
});
for (const [name, values] of Object.entries(NEW_TRACE)) {
  w3c(`${name} (C1.1–C1.7): a new trace`, async () => {
    for (const value of values) assert.is.not((await single([['traceparent', value]])).traceId, value.split('-')[1], `~> ${JSON.stringify(value)}`);
  });
}
w3c('test_traceparent_ows_handling (C1.10)', async () => {
  for (const value of [` ${TP}`, `\t${TP}`, `${TP} `, `${TP}\t`, `\t ${TP} \t`]) assert.is((await single([['traceparent', value]])).traceId, S, `~> ${JSON.stringify(value)}`);
});
w3c('test_tracestate_included_traceparent_missing (C1.15)', async () => {
  assert.is((await single([['tracestate', 'foo=1']])).tracestate.size, 0);
  assert.is((await single([['tracestate', 'foo=1,bar=2']])).tracestate.size, 0);
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
    assert.is((await single([['traceparent', TP00], ...order])).tracestate.get('foo'), '1');
  }
});
w3c('test_tracestate_multiple_headers_different_keys (C1.14)', async () => {
  const got = await single([['traceparent', TP00], ['tracestate', 'foo=1,bar=2'], ['tracestate', 'rojo=1,congo=2'], ['tracestate', 'baz=3']]);
  assert.is(got.tracestateText, 'foo=1,bar=2,rojo=1,congo=2,baz=3');
});
for (const [name, key, cases] of DISCARDED) {
  w3c(`${name} (C1.13): the whole tracestate is discarded, the trace kept`, async () => {
    for (const headers of cases) {
      const got = await single([['traceparent', TP00], ...headers]);
      assert.is(got.traceId, S);
      assert.not.ok(got.tracestate.has(key), `~> ${JSON.stringify(headers)}`);
    }
  });
}
w3c('test_tracestate_all_allowed_characters (C1.14)', async () => {
  const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
  const value = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => c !== ',' && c !== '=').join('');
  for (const k of [key, `${key}@a-z0-9_-*/`]) assert.is((await single([['traceparent', TP00], ['tracestate', `${k}=${value}`]])).tracestate.get(k), value);
});
w3c('test_tracestate_ows_handling (C1.14)', async () => {
  for (const value of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) {
    assert.equal([...(await single([['traceparent', TP00], ['tracestate', value]])).tracestate], [['foo', '1'], ['bar', '2'], ['baz', '3']]);
  }
  for (const value of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) assert.is((await single([['traceparent', TP00], ['tracestate', value]])).tracestate.get('foo'), '1');
});
w3c('test_tracestate_member_count_limit (C1.13)', async () => {
  const lines = (last: string): Header[] => [['traceparent', TP00], ['tracestate', bars(1, 10)], ['tracestate', bars(11, 20)], ['tracestate', bars(21, 30)], ['tracestate', last]];
  const ok = await single(lines(bars(31, 32)));
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
w3c('test_multiple_requests_with_valid_traceparent', async () => {
  const got = (await request([['traceparent', TP]], 3)).map(readCallback);
  assert.equal([...new Set(got.map((g) => g.traceId))], [S]);
  assert.is(new Set(got.map((g) => g.parentId)).size, 3, '~> a client span per call');
});
w3c('test_multiple_requests_without_traceparent', async () => {
  const got = (await request([], 3)).map(readCallback);
  assert.is(new Set(got.map((g) => g.traceId)).size, 1, '~> one new trace for the request');
  assert.is(new Set(got.map((g) => g.parentId)).size, 3);
});
w3c('test_multiple_requests_with_illegal_traceparent', async () => {
  const got = (await request([['traceparent', `00-${'0'.repeat(32)}-${Q}-01`]], 3)).map(readCallback);
  assert.not.ok(got.some((g) => g.traceId === '0'.repeat(32)));
  assert.is(new Set(got.map((g) => g.parentId)).size, 3);
});
w3c.run();
