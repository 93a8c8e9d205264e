/**
 * W3C Baggage: RELIABILITY C1 cases 17-20 (malformed members, percent-decoding, prototype pollution, limits)
 * and the inject side of case 26 (values that would break a header).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { extractBaggage, extractContext, formatBaggage, parseBaggage } from '../../../src/runtime/propagation';
import { TP } from './cases';

const plain = (bag: Readonly<Record<string, string>> | undefined) => (bag ? { ...bag } : bag);

const MALFORMED: ReadonlyArray<readonly [string, string | string[], Record<string, string> | undefined]> = [
  ['no "="', '289371298nekjh2939299283jbk2b', undefined],
  ['":" instead of "="', 'key1:value;key2=value2', undefined],
  ['":" and an empty property', 'key1:value;;key2=value2', undefined],
  ['no key', '=no-key', undefined],
  ['only commas', ',,,', undefined],
  ['only a semicolon', ';', undefined],
  ['empty properties are ignored', 'k=v;;', { k: 'v' }],
  ['a bad member between good ones', 'a=1, bad key=2, c=3', { a: '1', c: '3' }],
  ['quote in the value', 'a="x",b=2', { b: '2' }],
  ['backslash in the value', 'a=x\\y,b=2', { b: '2' }],
  ['space inside the value', 'a=x y,b=2', { b: '2' }],
  ['non-ASCII value as node hands it (latin1)', 'a=\u00c3\u00a9,b=2', { b: '2' }],
  ['CR LF in the value', 'a=x\r\ny,b=2', { b: '2' }],
  ['NUL in the key', 'a\u0000=1,b=2', { b: '2' }],
  ['bad property key', 'a=1;bad key=2,b=2', { b: '2' }],
  ['bad property value', 'a=1;p="x",b=2', { b: '2' }],
  ['empty member', 'a=1,,b=2', { a: '1', b: '2' }],
  ['member of spaces', 'a=1, \t ,b=2', { a: '1', b: '2' }],
];

const parse = suite('parseBaggage');
parse('C1.17 drops malformed members and keeps the valid ones, the same on every run', () => {
  for (const [label, input, expected] of MALFORMED) {
    for (let run = 0; run < 3; run++) assert.equal(plain(parseBaggage(input)), expected, `~> ${label} (run ${run})`);
  }
});
parse('reads OWS, properties, empty values and "=" inside values', () => {
  assert.equal(plain(parseBaggage(' a = 1 ; p1 ; p2 = x , b=,c=x=y')), { a: '1', b: '', c: 'x=y' });
});
parse('C1.18 percent-decodes as UTF-8 with U+FFFD for bad sequences, never a URIError', () => {
  assert.equal(plain(parseBaggage('k=%C3%28,valid=ok')), { k: '\uFFFD(', valid: 'ok' });
  assert.equal(plain(parseBaggage('userId=Am%C3%A9lie')), { userId: 'Am\u00e9lie' });
  assert.equal(plain(parseBaggage('k=%ZZ')), { k: '\uFFFDZZ' });
  assert.equal(plain(parseBaggage('k=%')), { k: '\uFFFD' });
  assert.equal(plain(parseBaggage('k=%E2%82')), { k: '\uFFFD' });
  assert.equal(plain(parseBaggage('k=%e2%82%ac%2C%3b')), { k: '\u20ac,;' });
  assert.equal(plain(parseBaggage('k=%F0%9F%98%80')), { k: '\u{1F600}' });
});
parse('C1.19 keys that name Object.prototype members are stored safely and pollute nothing', () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const bag = parseBaggage('__proto__=poison,constructor=x,prototype=y,foo=bar,hasOwnProperty=z,toString=w')!;
  assert.is(({} as Record<string, unknown>).poison, undefined, '~> no poison on plain objects');
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort(), before, '~> Object.prototype unchanged');
  assert.is(Object.getPrototypeOf(bag), null, '~> null-prototype storage');
  assert.ok(Object.isFrozen(bag), '~> frozen');
  assert.is(bag.foo, 'bar');
  assert.is(bag['__proto__'], 'poison', '~> an ordinary entry');
  assert.is(bag.constructor as unknown, 'x');
  assert.is(bag.prototype, 'y');
  assert.equal(Object.keys(bag), ['__proto__', 'constructor', 'prototype', 'foo', 'hasOwnProperty', 'toString']);
});
parse('a repeated key keeps its last value', () => {
  assert.equal(plain(parseBaggage(['a=1,b=2', 'a=3'])), { a: '3', b: '2' });
});
parse('C1.20 64 members and 8192 bytes across several headers all come through', () => {
  const members = Array.from({ length: 64 }, (_, i) => `k${String(i).padStart(2, '0')}=`);
  const pad = 8192 - members.join(',').length;
  members[63] += 'v'.repeat(pad);
  assert.is(members.join(',').length, 8192);
  const headers = [members.slice(0, 20).join(','), members.slice(20, 50).join(','), members.slice(50).join(',')];
  const bag = parseBaggage(headers)!;
  assert.is(Object.keys(bag).length, 64);
  assert.is(bag.k63.length, pad);
  assert.equal(plain(parseBaggage(members.join(','))), plain(bag), '~> one header or several: the same');
});
parse('C1.20 beyond 64 members or 8192 bytes, whole members are dropped', () => {
  const members = Array.from({ length: 70 }, (_, i) => `k${i}=v${i}`);
  const bag = parseBaggage([members.slice(0, 40).join(','), members.slice(40).join(',')])!;
  assert.equal(Object.keys(bag), members.slice(0, 64).map((m) => m.split('=')[0]), '~> the first 64 members');
  const big = Array.from({ length: 10 }, (_, i) => `big${i}=${'x'.repeat(1000)}`);
  const cut = parseBaggage([big.slice(0, 5).join(','), big.slice(5).join(',')])!;
  assert.equal(Object.keys(cut), big.slice(0, 8).map((m) => m.split('=')[0]), '~> 8 members of 1005 bytes fit in 8192');
  for (const value of Object.values(cut)) assert.is(value.length, 1000, '~> never a partial member');
  const over = `a=1,b=${'x'.repeat(8190)}`;
  assert.equal(plain(parseBaggage(over)), { a: '1' }, '~> the member crossing the limit is dropped whole');
});
parse('C1.12 a 1 MiB baggage header is cut to the first 8192 bytes', () => {
  const huge = Array.from({ length: 120_000 }, (_, i) => `k${i}=v`).join(',');
  assert.ok(huge.length > 1_000_000);
  const bag = parseBaggage(huge)!;
  assert.is(Object.keys(bag).length, 64);
  assert.is(parseBaggage('x'.repeat(1 << 20)), undefined, '~> one huge member without a comma');
});
parse('non-strings are no baggage', () => {
  for (const input of [undefined, null, 42, {}, [1], [null]]) assert.is(parseBaggage(input), undefined);
});
parse.run();

const format = suite('formatBaggage');
const HOSTILE = {
  crlf: 'a\r\nX-Evil: 1',
  nul: 'a\u0000b',
  accent: 'Am\u00e9lie',
  comma: 'a,b',
  semicolon: 'a;b',
  percent: '100%',
  quote: '"q"',
  backslash: 'a\\b',
  space: ' a b ',
  emoji: '\u{1F600}',
  empty: '',
  equals: 'a=b',
};
format('C1.26 percent-encodes every value so the header is printable ASCII, and decodes back', () => {
  const header = formatBaggage(HOSTILE)!;
  assert.ok(/^[\x21-\x7e]+$/.test(header), `~> printable ASCII only: ${header}`);
  assert.equal(plain(parseBaggage(header)), HOSTILE, '~> round trip');
});
format('a lone surrogate becomes U+FFFD instead of throwing', () => {
  assert.equal(plain(parseBaggage(formatBaggage({ s: 'a\ud800b' })!)), { s: 'a\uFFFDb' });
});
format('skips keys that are not tokens and values that are not strings', () => {
  const items = { ok: '1', 'bad key': '2', 'k\r\n': '3', '\u00e9': '4', n: 5, u: undefined, o: {} } as unknown as Record<string, string>;
  assert.is(formatBaggage(items), 'ok=1');
});
format('a getter that throws skips that item only', () => {
  const items = Object.defineProperty({ a: '1' }, 'b', { enumerable: true, get: () => { throw new Error('boom'); } });
  assert.is(formatBaggage(items), 'a=1');
});
format('stops at 64 members and 8192 bytes, by whole members', () => {
  const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, 'v']));
  assert.is(formatBaggage(many)!.split(',').length, 64);
  const big = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`big${i}`, 'x'.repeat(1000)]));
  const out = formatBaggage(big)!;
  assert.ok(out.length <= 8192);
  assert.is(out.split(',').length, 8);
  for (const member of out.split(',')) assert.is(member.length, 1005, '~> whole members');
});
format('nothing to write gives undefined', () => {
  for (const items of [undefined, null, {}, 'a=1', 42, { 'bad key': 'x' }]) assert.is(formatBaggage(items), undefined);
});
format.run();

const extract = suite('extractBaggage');
extract('reads baggage even when the trace context is invalid (a new root keeps it)', () => {
  assert.equal(plain(extractBaggage({ traceparent: 'garbage', baggage: 'a=1' })), { a: '1' });
  assert.equal(plain(extractBaggage({ Baggage: ['a=1', 'b=2'] })), { a: '1', b: '2' }, '~> any case, several lines');
});
extract('C1.23 uberctx-* items with the uber format; a malformed one is dropped, the others survive', () => {
  const headers = { 'uber-trace-id': '%ZZ', 'uberctx-test': 'value', 'uberctx-bad': '%ZZ', 'uberctx-enc': 'a%20b' };
  assert.equal(plain(extractBaggage(headers, ['uber'])), { test: 'value', enc: 'a b' });
  assert.is(extractBaggage(headers), undefined, '~> not read without the uber format');
});
extract('across formats the first listed wins; 64 items at most', () => {
  const headers = { baggage: 'k=w3c', 'uberctx-k': 'uber', 'uberctx-other': 'x' };
  assert.equal(plain(extractBaggage(headers, ['w3c', 'uber'])), { k: 'w3c', other: 'x' });
  assert.equal(plain(extractBaggage(headers, ['uber', 'w3c'])), { k: 'uber', other: 'x' });
  const wide: Record<string, string> = { baggage: Array.from({ length: 60 }, (_, i) => `w${i}=1`).join(',') };
  for (let i = 0; i < 10; i++) wide[`uberctx-u${i}`] = '1';
  assert.is(Object.keys(extractBaggage(wide, ['w3c', 'uber'])!).length, 64);
});
extract('extractContext attaches the baggage to the context it returns', () => {
  assert.equal(plain(extractContext({ traceparent: TP, baggage: 'a=1' })?.baggage), { a: '1' });
  assert.not.ok('baggage' in extractContext({ traceparent: TP, baggage: ',,' })!, '~> absent when empty');
});
extract.run();
