/**
 * Carrier type confusion: RELIABILITY C1 case 24. Whatever the extractor is handed, it returns a context or
 * undefined and never throws.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openCarrier } from '../../../src/runtime/propagation/carrier';
import { extractBaggage, extractContext, extractSampling } from '../../../src/runtime/propagation';
import { P, T, TP } from './cases';

const ALL = ['w3c', 'b3', 'b3multi', 'uber'] as const;
const throwingProxy = () =>
  new Proxy({}, {
    get() { throw new Error('get'); },
    has() { throw new Error('has'); },
    ownKeys() { throw new Error('ownKeys'); },
    getOwnPropertyDescriptor() { throw new Error('descriptor'); },
    getPrototypeOf() { throw new Error('prototype'); },
  });
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({ traceparent: TP }, {});
  revoke();
  return proxy;
};

/** Carriers that must give a new trace (undefined), each with a label. */
const CONFUSED: ReadonlyArray<readonly [string, () => unknown]> = [
  ['value ["a", "b"]', () => ({ traceparent: ['a', 'b'] })],
  ['value [TP, TP]', () => ({ traceparent: [TP, TP] })],
  ['value []', () => ({ traceparent: [] })],
  ['value [42]', () => ({ traceparent: [42] })],
  ['value [TP, 42]', () => ({ traceparent: [TP, 42] })],
  ['value 42', () => ({ traceparent: 42 })],
  ['value true', () => ({ traceparent: true })],
  ['value {}', () => ({ traceparent: {} })],
  ['value with toString returning TP', () => ({ traceparent: { toString: () => TP } })],
  ['value String object', () => ({ traceparent: new String(TP) })],
  ['value null', () => ({ traceparent: null })],
  ['value undefined', () => ({ traceparent: undefined })],
  ['value Symbol', () => ({ traceparent: Symbol(TP) })],
  ['value BigInt', () => ({ traceparent: 10n })],
  ['value function', () => ({ traceparent: () => TP })],
  ['value Buffer', () => ({ traceparent: Buffer.from(TP) })],
  ['value a Proxy whose get throws', () => ({ traceparent: throwingProxy() })],
  ['a getter returning 1', () => Object.defineProperty({}, 'traceparent', { enumerable: true, get: () => 1 })],
  ['a getter that throws', () => Object.defineProperty({}, 'traceparent', { enumerable: true, get: () => { throw new Error('getter'); } })],
  ['a Proxy whose every trap throws', throwingProxy],
  ['a revoked Proxy', revoked],
  ['carrier null', () => null],
  ['carrier undefined', () => undefined],
  ['carrier 42', () => 42],
  ['carrier true', () => true],
  ['carrier string', () => `traceparent: ${TP}`],
  ['carrier array', () => [TP]],
  ['carrier array of pairs', () => [['traceparent', TP]]],
  ['carrier function', () => () => TP],
  ['carrier Symbol', () => Symbol('x')],
  ['get() that throws', () => ({ get() { throw new Error('get'); } })],
  ['get() returning a number', () => ({ get: () => 7 })],
  ['get() returning an object', () => ({ get: () => ({}) })],
  ['inherited traceparent only', () => Object.create({ traceparent: TP })],
  ['non-enumerable traceparent', () => Object.defineProperty({}, 'traceparent', { value: TP, enumerable: false })],
  ['Symbol-keyed traceparent', () => ({ [Symbol.for('traceparent')]: TP })],
];

const extract = suite('extractContext (carrier confusion)');
extract('C1.24 every confused carrier starts a new trace, in every format, without throwing', () => {
  for (const [label, make] of CONFUSED) {
    assert.is(extractContext(make()), undefined, `~> ${label}`);
    assert.is(extractContext(make(), ALL), undefined, `~> ${label} (all formats)`);
    assert.is(extractSampling(make(), ALL), undefined, `~> ${label} (sampling)`);
    extractBaggage(make(), ALL);
  }
});
extract('C1.24 a one-element array is the value itself', () => {
  assert.is(extractContext({ traceparent: [TP] })?.traceId, T);
});
extract('C1.24 odd formats lists fall back or are filtered, never throw', () => {
  assert.is(extractContext({ traceparent: TP }, 'w3c' as never)?.traceId, T, '~> not an array: default');
  assert.is(extractContext({ traceparent: TP }, [] as never), undefined, '~> empty list reads nothing');
  assert.is(extractContext({ traceparent: TP }, ['bogus', 42, null, 'w3c'] as never)?.traceId, T, '~> unknown entries skipped');
  assert.is(extractContext({ traceparent: TP }, ['__proto__', 'constructor', 'toString'] as never), undefined);
});
extract('reads fetch Headers, Map and node-style null-prototype records', () => {
  assert.is(extractContext(new Headers({ traceparent: TP }))?.spanId, P);
  assert.is(extractContext(new Map([['traceparent', TP]]))?.spanId, P);
  const distinct = Object.assign(Object.create(null), { traceparent: [TP], tracestate: ['a=1', 'b=2'] });
  assert.is(extractContext(distinct)?.traceState, 'a=1,b=2');
});
extract('a getter returning a valid string is read', () => {
  assert.is(extractContext(Object.defineProperty({}, 'traceparent', { enumerable: true, get: () => TP }))?.traceId, T);
});
extract.run();

const open = suite('openCarrier');
open('finds headers in any key case, in carrier order', () => {
  const reader = openCarrier({ Baggage: 'a=1', baggage: ['b=2', 'c=3'], BAGGAGE: 'd=4' });
  assert.equal(reader.get('baggage'), ['a=1', 'b=2', 'c=3', 'd=4']);
  assert.is(reader.get('traceparent'), undefined);
});
open('withPrefix lists matching headers with the rest of the name', () => {
  const reader = openCarrier({ 'UberCtx-A': '1', 'uberctx-b': ['2'], 'uberctx-': 'empty name', other: 'x', 'uberctx-n': 5 });
  assert.equal(reader.withPrefix('uberctx-'), [['a', ['1']], ['b', ['2']]]);
  const headers = openCarrier(new Headers({ 'uberctx-a': '1', other: 'x' }));
  assert.equal(headers.withPrefix('uberctx-'), [['a', ['1']]]);
});
open('finds a header wherever it is among many keys', () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 5000; i++) many[`h${i}`] = 'x';
  many.TraceParent = TP;
  assert.is(openCarrier(many).get('traceparent')?.[0], TP);
});
open('an endless entries() iterator is cut short', () => {
  const endless = {
    get: () => null,
    *entries() {
      for (let i = 0; ; i++) yield [`uberctx-k${i}`, 'v'];
    },
  };
  assert.is(openCarrier(endless).withPrefix('uberctx-').length, 1024);
});
open('an iterator that throws ends the prefix scan without throwing', () => {
  const hostile = { get: () => null, entries() { throw new Error('entries'); } };
  assert.equal(openCarrier(hostile).withPrefix('uberctx-'), []);
});
open.run();
