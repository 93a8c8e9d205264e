/**
 * Id generation and the hex checks every parser relies on.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isSpanId, isTraceId, newSpanId, newTraceId, padHexId } from '../../../src/runtime/propagation';
import { scanHex } from '../../../src/runtime/propagation/ids';
import { P, T } from './cases';

const traceIds = suite('newTraceId');
traceIds('gives 32 lowercase hex, valid, distinct across many pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = newTraceId();
    assert.ok(isTraceId(id), `~> ${id}`);
    seen.add(id);
  }
  assert.is(seen.size, 20_000);
});
traceIds.run();

const spanIds = suite('newSpanId');
spanIds('gives 16 lowercase hex, valid, distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = newSpanId();
    assert.ok(isSpanId(id), `~> ${id}`);
    seen.add(id);
  }
  assert.is(seen.size, 20_000);
});
spanIds('trace and span ids drawn in turn stay distinct (no overlapping pool slices)', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => (i % 2 ? newSpanId() : newTraceId().slice(0, 16)));
  assert.is(new Set(ids).size, ids.length);
});
spanIds.run();

const traceId = suite('isTraceId');
traceId('accepts 32 lowercase hex that is not all zero, only that', () => {
  assert.ok(isTraceId(T));
  for (const id of ['0'.repeat(32), T.toUpperCase(), T.slice(1), `${T}0`, `${T.slice(1)}g`, 42, null, undefined, [T]]) assert.not.ok(isTraceId(id), `~> ${String(id)}`);
});
traceId.run();

const spanId = suite('isSpanId');
spanId('accepts 16 lowercase hex that is not all zero, only that', () => {
  assert.ok(isSpanId(P));
  for (const id of ['0'.repeat(16), P.toUpperCase(), P.slice(1), `${P}0`, `${P.slice(1)}-`, 7, {}]) assert.not.ok(isSpanId(id), `~> ${String(id)}`);
});
spanId.run();

const pad = suite('padHexId');
pad('left-pads and lower-cases 1..width hex digits; rejects zero, too long, not hex', () => {
  assert.is(padHexId('ABC', 16), '0000000000000abc');
  assert.is(padHexId('463ac35c9f6413ad', 32), '0000000000000000463ac35c9f6413ad');
  assert.is(padHexId(T, 32), T);
  for (const [id, width] of [['', 16], ['0', 16], ['000', 32], ['g', 16], [`${P}0`, 16], ['-1', 16], [' 1', 16]] as const) {
    assert.is(padHexId(id, width), undefined, `~> ${JSON.stringify(id)}`);
  }
});
pad.run();

const scan = suite('scanHex');
scan('tells invalid, all-zero and valid ranges apart', () => {
  assert.is(scanHex('x00ax', 1, 4), 1);
  assert.is(scanHex('x000x', 1, 4), 0);
  assert.is(scanHex('x0A0x', 1, 4), -1);
  assert.is(scanHex('x0A0x', 1, 4, true), 1);
  assert.is(scanHex('', 0, 0), 0, '~> an empty range is all zero, never valid');
});
scan.run();
