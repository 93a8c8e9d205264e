/**
 * Jaeger `uber-trace-id` and `uberctx-*`: RELIABILITY C1 case 23 at carrier level.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { extractContext, formatUberTraceId, parseUberTraceId } from '../../../src/runtime/propagation';
import { P, REJECTED_UBER, T } from './cases';

const parse = suite('parseUberTraceId');
parse('C1.23 malformed values give no context and never a URIError', () => {
  for (const value of REJECTED_UBER) assert.is(parseUberTraceId(value), undefined, `~> ${JSON.stringify(value)}`);
});
parse('reads ids (left-padded, lower-cased), ignores the parent id, bit 0 of flags is sampled', () => {
  assert.equal(parseUberTraceId(`${T}:${P}:0:1`), { traceId: T, spanId: P, sampled: true, format: 'uber' });
  assert.is(parseUberTraceId(`${T}:${P}:0:0`)?.sampled, false);
  assert.is(parseUberTraceId(`${T}:${P}:0:03`)?.sampled, true);
  assert.is(parseUberTraceId(`${T}:${P}:0:02`)?.sampled, false, '~> debug alone is not sampled');
  assert.is(parseUberTraceId(`${T}:${P}:${P}:1`)?.spanId, P);
  assert.equal(parseUberTraceId('ABC:1F:0:1'), { traceId: '00000000000000000000000000000abc', spanId: '000000000000001f', sampled: true, format: 'uber' });
});
parse('accepts the URL-encoded form', () => {
  assert.is(parseUberTraceId(`${T}%3A${P}%3A0%3A1`)?.traceId, T);
  assert.is(parseUberTraceId(`${T}%3a${P}%3a0%3a1`)?.spanId, P);
});
parse.run();

const format = suite('formatUberTraceId');
format('writes traceId:spanId:0:flags and round-trips', () => {
  assert.is(formatUberTraceId({ traceId: T, spanId: P, sampled: true }), `${T}:${P}:0:01`);
  assert.is(formatUberTraceId({ traceId: T, spanId: P, sampled: false }), `${T}:${P}:0:00`);
  assert.equal(parseUberTraceId(formatUberTraceId({ traceId: T, spanId: P, sampled: false })), { traceId: T, spanId: P, sampled: false, format: 'uber' });
});
format.run();

const extract = suite('extractContext (uber)');
extract('C1.23 malformed uber-trace-id starts a new trace', () => {
  for (const value of REJECTED_UBER) assert.is(extractContext({ 'uber-trace-id': value }, ['uber']), undefined, `~> ${JSON.stringify(value)}`);
  assert.is(extractContext({ 'uber-trace-id': [`${T}:${P}:0:1`, `${T}:${P}:0:1`] }, ['uber']), undefined, '~> header seen twice');
});
extract('C1.23 uberctx-bad with a malformed escape is dropped, uberctx-test survives', () => {
  const ctx = extractContext({ 'Uber-Trace-Id': `${T}:${P}:0:1`, 'uberctx-test': 'value', 'uberctx-bad': '%ZZ', 'UberCtx-Name': 'Am%C3%A9lie' }, ['uber'])!;
  assert.is(ctx.traceId, T);
  assert.equal({ ...ctx.baggage }, { test: 'value', name: 'Am\u00e9lie' });
  assert.is(Object.getPrototypeOf(ctx.baggage), null);
});
extract('uber is not read unless asked for', () => {
  assert.is(extractContext({ 'uber-trace-id': `${T}:${P}:0:1` }), undefined);
});
extract.run();
