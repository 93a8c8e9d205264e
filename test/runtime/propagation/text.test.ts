/**
 * Percent-coding and OWS helpers: the parts that must never throw on what arrives in a header.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isToken, percentDecode, percentEncode, trimOws } from '../../../src/runtime/propagation/text';
import { seeded } from './cases';

const decode = suite('percentDecode');
decode('decodes UTF-8 and replaces what is not with U+FFFD', () => {
  assert.is(percentDecode('Am%C3%A9lie'), 'Am\u00e9lie');
  assert.is(percentDecode('%C3%28'), '\uFFFD(');
  assert.is(percentDecode('%E2%82'), '\uFFFD');
  assert.is(percentDecode('%ZZ'), '\uFFFDZZ');
  assert.is(percentDecode('%'), '\uFFFD');
  assert.is(percentDecode('%4'), '\uFFFD4');
  assert.is(percentDecode('%ed%a0%80'), '\uFFFD\uFFFD\uFFFD', '~> an encoded surrogate is not UTF-8');
  assert.is(percentDecode('plain'), 'plain');
});
decode('strict mode refuses a malformed escape', () => {
  assert.is(percentDecode('%ZZ', true), undefined);
  assert.is(percentDecode('a%', true), undefined);
  assert.is(percentDecode('a%3A', true), 'a:');
});
decode('a latin1-decoded header byte counts as that byte; wider characters as text', () => {
  assert.is(percentDecode('\u00c3\u00a9%20'), '\u00e9 ');
  assert.is(percentDecode('\u{1F600}%20'), '\u{1F600} ');
  assert.is(percentDecode('\ud800%20'), '\uFFFD ');
});
decode('never throws on 20 000 random strings', () => {
  const random = seeded(7);
  for (let i = 0; i < 20_000; i++) {
    const s = Array.from({ length: Math.floor(random() * 12) }, () => (random() < 0.4 ? '%' : String.fromCharCode(Math.floor(random() * 0x10000)))).join('');
    percentDecode(s);
    percentDecode(s, true);
  }
});
decode.run();

const encode = suite('percentEncode');
encode('keeps allowed ASCII, encodes the rest as UTF-8, upper-case hex', () => {
  const keep = (c: number) => c >= 0x61 && c <= 0x7a;
  assert.is(percentEncode('abc', keep), 'abc');
  assert.is(percentEncode('a b\u00e9\r\n', keep), 'a%20b%C3%A9%0D%0A');
  assert.is(percentEncode('a\ud800', keep), 'a%EF%BF%BD', '~> a lone surrogate becomes U+FFFD');
  assert.is(percentDecode(percentEncode('\u{1F600}%x', keep)), '\u{1F600}%x');
});
encode.run();

const trim = suite('trimOws');
trim('trims SP and HTAB only', () => {
  assert.is(trimOws(' \t a b \t'), 'a b');
  assert.is(trimOws('\na\r'), '\na\r');
  assert.is(trimOws('xx a xx', 2, 5), 'a');
  assert.is(trimOws('   '), '');
});
trim.run();

const token = suite('isToken');
token('accepts RFC 7230 tokens only', () => {
  for (const t of ['a', 'Key_1', "!#$%&'*+-.^_`|~", 'x-b3-traceid']) assert.ok(isToken(t), `~> ${t}`);
  for (const t of ['', 'a b', 'a=b', 'a,b', 'a;b', '"a"', 'a\r', '\u00e9', 'a/b', 'a:b', '(a)']) assert.not.ok(isToken(t), `~> ${JSON.stringify(t)}`);
});
token.run();
