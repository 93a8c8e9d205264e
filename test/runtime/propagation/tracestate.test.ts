/**
 * W3C tracestate, strict (the W3C test suite at STRICT_LEVEL=2): RELIABILITY C1 cases 13-16 at carrier level,
 * checked the way the suite checks a service: extract, make the child context, inject, read what goes out.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  childContext,
  extractContext,
  formatTracestate,
  injectContext,
  isTracestateKey,
  isTracestateValue,
  parseTracestate,
  parseTracestateMembers,
} from '../../../src/runtime/propagation';
import { S, Q, T, TP } from './cases';

/** What a service forwards for these incoming headers: the outgoing headers of its child call. */
function forward(headers: Record<string, unknown>): Record<string, unknown> {
  const ctx = extractContext(headers);
  const out: Record<string, unknown> = {};
  if (ctx) injectContext(childContext(ctx), out);
  return out;
}

const KEY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const VALUE_CHARS = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
  .filter((c) => c !== ',' && c !== '=')
  .join('');
const bars = (n: number) => Array.from({ length: n }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${String(i + 1).padStart(2, '0')}`);

const INVALID: ReadonlyArray<readonly [string, string | string[]]> = [
  ['C1.13 empty value', 'foo=,bar=3'],
  ['C1.13 "=" in the value', 'foo=bar=baz'],
  ['C1.13 key starting with "@"', '@foo=1,bar=2'],
  ['C1.13 uppercase key', 'FOO=1'],
  ['C1.13 space inside the key', 'foo =1'],
  ['C1.13 "." in the key', 'foo.bar=1'],
  ['C1.13 33 members', bars(33).join(',')],
  ['C1.13 33 members over four headers', [bars(10).join(','), bars(20).slice(10).join(','), bars(30).slice(20).join(','), bars(33).slice(30).join(',')]],
  ['C1.13 257-character key', ['foo=1', `${'z'.repeat(257)}=1`]],
  ['C1.13 257-character value', `foo=${'v'.repeat(257)}`],
  ['W3C suite: empty system id', 'foo@=1,bar=2'],
  ['W3C suite: two "@" in a row', 'foo@@bar=1,bar=2'],
  ['W3C suite: two "@"', 'foo@bar@baz=1,bar=2'],
  ['W3C suite: 242-character tenant', ['foo=1', `${'t'.repeat(242)}@v=1`]],
  ['W3C suite: 15-character system id', ['foo=1', `t@${'v'.repeat(15)}=1`]],
  ['W3C suite: duplicate key, same value', 'foo=1,foo=1'],
  ['W3C suite: duplicate key, other value', 'foo=1,foo=2'],
  ['W3C suite: duplicate key across headers', ['foo=1', 'foo=2']],
  ['member without "="', 'foo=1,bar'],
  ['tab inside the value', 'foo=a\tb'],
  ['CR LF inside the value', 'foo=a\r\nb'],
  ['NUL inside the value', 'foo=a\u0000b'],
  ['non-ASCII value', 'foo=\u00e9'],
  ['non-ASCII key', '\u00e9=1'],
  ['system id starting with a digit', 'foo@1=1'],
  ['tenant starting with "_"', '_foo@bar=1'],
  ['oversized input (10 000 members)', Array.from({ length: 10_000 }, (_, i) => `k${i}=v`).join(',')],
];

const VALID: ReadonlyArray<readonly [string, string | string[], string]> = [
  ['C1.14 256-character key', ['foo=1', `${'z'.repeat(256)}=1`], `foo=1,${'z'.repeat(256)}=1`],
  ['C1.14 241-character tenant and 14-character system id', ['foo=1', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`], `foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`],
  ['C1.14 every key character', `${KEY_CHARS}=1`, `${KEY_CHARS}=1`],
  ['C1.14 every key character, multi-tenant', `${KEY_CHARS}@a-z0-9_-*/=1`, `${KEY_CHARS}@a-z0-9_-*/=1`],
  ['C1.14 every value character', `foo=${VALUE_CHARS}`, `foo=${VALUE_CHARS}`],
  ['C1.14 OWS around members', ' foo=1 \t , \t bar=2', 'foo=1,bar=2'],
  ['C1.14 OWS, tabs', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3', 'foo=1,bar=2,baz=3'],
  ['C1.14 empty header then foo=1', ['', 'foo=1'], 'foo=1'],
  ['C1.14 foo=1 then empty header', ['foo=1', ''], 'foo=1'],
  ['C1.14 three headers combined in order', ['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'], 'foo=1,bar=2,rojo=1,congo=2,baz=3'],
  ['C1.14 as node joins repeated lines', 'foo=1,bar=2, ,rojo=1, baz=3', 'foo=1,bar=2,rojo=1,baz=3'],
  ['C1.14 32 members', bars(32).join(','), bars(32).join(',')],
  ['C1.14 empty members', ',,foo=1,,,', 'foo=1'],
  ['value with inner spaces', 'foo= a b', 'foo= a b'],
  ['tenant starting with a digit', '0tenant@sys=x', '0tenant@sys=x'],
];

const members = suite('parseTracestateMembers');
members('C1.13 discards the whole header for any invalid member', () => {
  for (const [label, input] of INVALID) assert.is(parseTracestateMembers(input), undefined, `~> ${label}`);
});
members('gives the members in order', () => {
  assert.equal(parseTracestateMembers(['rojo=00f067aa0ba902b7', ' congo=t61rcWkgMzE ']), [
    ['rojo', '00f067aa0ba902b7'],
    ['congo', 't61rcWkgMzE'],
  ]);
});
members('no member, or not a string, is no tracestate', () => {
  for (const input of ['', ' , ,', [], [''], undefined, null, 42, [42], {}]) assert.is(parseTracestateMembers(input), undefined);
});
members.run();

const parse = suite('parseTracestate');
parse('C1.14 keeps the valid edge forms, normalised', () => {
  for (const [label, input, expected] of VALID) assert.is(parseTracestate(input), expected, `~> ${label}`);
});
parse('C1.13 the invalid ones give undefined', () => {
  for (const [label, input] of INVALID) assert.is(parseTracestate(input), undefined, `~> ${label}`);
});
parse.run();

const key = suite('isTracestateKey');
key('accepts simple and tenant@system keys within their lengths', () => {
  for (const k of ['a', 'foo', 'z'.repeat(256), `${'t'.repeat(241)}@${'v'.repeat(14)}`, '1@a', 'a/b*c-d_e']) assert.ok(isTracestateKey(k), `~> ${k.slice(0, 20)}`);
});
key('rejects the rest', () => {
  for (const k of ['', '1abc', 'z'.repeat(257), 'Foo', 'a.b', 'a@', '@a', 'a@b@c', `a@${'v'.repeat(15)}`, `${'t'.repeat(242)}@v`, 'a@1', 'a b', 'a=b']) {
    assert.not.ok(isTracestateKey(k), `~> ${k.slice(0, 20)}`);
  }
});
key.run();

const value = suite('isTracestateValue');
value('accepts 1-256 printable characters without "," or "=", not ending in a space', () => {
  for (const v of ['1', VALUE_CHARS, 'x'.repeat(256), ' leading']) assert.ok(isTracestateValue(v), `~> ${v.slice(0, 20)}`);
});
value('rejects the rest', () => {
  for (const v of ['', 'x'.repeat(257), 'trailing ', 'a,b', 'a=b', 'a\tb', '\u00e9', 'a\nb', '\u0000']) assert.not.ok(isTracestateValue(v), `~> ${JSON.stringify(v.slice(0, 20))}`);
});
value.run();

const format = suite('formatTracestate');
format('C1.16 a 600-character tracestate goes out as the whole members that fit in 512', () => {
  const input = Array.from({ length: 10 }, (_, i) => `k${i}=${'v'.repeat(56)}`).join(',');
  assert.is(input.length, 10 * 60 - 1);
  const out = formatTracestate(input)!;
  assert.ok(out.length <= 512, '~> at most 512 characters');
  const inMembers = input.split(',');
  const outMembers = out.split(',');
  assert.equal(outMembers, inMembers.slice(0, outMembers.length), '~> a prefix by members');
  assert.ok(out.length + 1 + inMembers[outMembers.length].length > 512, '~> as many members as fit');
  assert.is(parseTracestate(out), out, '~> parses');
});
format('C1.16 members over 128 characters are removed first, right-most first', () => {
  const long1 = `big1=${'x'.repeat(200)}`;
  const long2 = `big2=${'y'.repeat(200)}`;
  const short = Array.from({ length: 8 }, (_, i) => `s${i}=${'v'.repeat(20)}`);
  const input = [short[0], long1, short[1], long2, ...short.slice(2)].join(',');
  assert.ok(input.length > 512);
  const out = formatTracestate(input)!;
  assert.is(out, [short[0], long1, short[1], ...short.slice(2)].join(','), '~> only the right-most long member went');
  const more = Array.from({ length: 12 }, (_, i) => `m${i}=${'v'.repeat(20)}`);
  const both = formatTracestate([...more, long1, long2, `${'z'.repeat(100)}=1`].join(','))!;
  assert.is(both, [...more, `${'z'.repeat(100)}=1`].join(','), '~> both long members went, the short ones stayed');
});
format('C1.26 drops an invalid tracestate instead of writing it', () => {
  for (const v of ['a=1\r\nX-Evil: 1', 'a=\u00e9', 'a=1\u0000', 'A=1', 42, {}, undefined, '']) assert.is(formatTracestate(v), undefined, `~> ${JSON.stringify(v)}`);
});
format('leaves a short valid tracestate as it is', () => {
  assert.is(formatTracestate('foo=1,bar=2'), 'foo=1,bar=2');
});
format.run();

const extract = suite('extractContext (tracestate)');
extract('C1.13 an invalid tracestate is not forwarded, and the trace is kept', () => {
  for (const [label, input] of INVALID) {
    const out = forward({ traceparent: `00-${S}-${Q}-00`, tracestate: input });
    assert.ok(String(out.traceparent).startsWith(`00-${S}-`), `~> ${label}: trace kept`);
    assert.not.ok('tracestate' in out, `~> ${label}: tracestate absent`);
  }
});
extract('C1.14 a valid tracestate is forwarded normalised', () => {
  for (const [label, input, expected] of VALID) {
    const out = forward({ traceparent: `00-${S}-${Q}-00`, tracestate: input });
    assert.is(out.tracestate, expected.length <= 512 ? expected : formatTracestate(expected), `~> ${label}`);
  }
});
extract('C1.14 tracestate header names are case-insensitive; look-alikes are ignored', () => {
  for (const name of ['TraceState', 'TrAcEsTaTe', 'TRACESTATE']) assert.is(extractContext({ traceparent: TP, [name]: 'foo=1' })?.traceState, 'foo=1', `~> ${name}`);
  for (const name of ['trace-state', 'trace.state']) assert.is(extractContext({ traceparent: TP, [name]: 'foo=1' })?.traceState, undefined, `~> ${name}`);
  assert.is(extractContext({ traceparent: TP, tracestate: 'a=1', TraceState: 'b=2' })?.traceState, 'a=1,b=2', '~> keys differing in case are one list');
});
extract('C1.15 tracestate without traceparent is dropped', () => {
  assert.equal(forward({ tracestate: 'foo=1' }), {});
});
extract('an empty tracestate leaves the field absent', () => {
  const ctx = extractContext({ traceparent: TP, tracestate: '' })!;
  assert.is(ctx.traceId, T);
  assert.not.ok('traceState' in ctx);
});
extract.run();
