/**
 * Zipkin B3, single and multi header: RELIABILITY C1 cases 21 and 22 at carrier level.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { extractContext, extractSampling, formatB3Single, parseB3Sampling, parseB3Single } from '../../../src/runtime/propagation';
import { B3S, B3T, P, REJECTED_B3, T } from './cases';

const single = suite('parseB3Single');
single('C1.21 malformed b3 values give no context', () => {
  for (const value of REJECTED_B3) assert.is(parseB3Single(value), undefined, `~> ${JSON.stringify(value)}`);
});
single('C1.21 reads ids and 0/1/d sampling; a 16-hex trace id is left-padded to 32', () => {
  assert.equal(parseB3Single(`${B3T}-${B3S}-1`), { traceId: B3T, spanId: B3S, sampled: true, format: 'b3' });
  assert.is(parseB3Single(`${B3T}-${B3S}-0`)?.sampled, false);
  assert.is(parseB3Single(`${B3T}-${B3S}-d`)?.sampled, true, '~> debug is sampled');
  assert.is(parseB3Single(`${B3T}-${B3S}-1-05e3ac9a4f6e3b90`)?.spanId, B3S, '~> parent span id accepted, not kept');
  assert.equal(parseB3Single('463ac35c9f6413ad-e457b5a2e4d86bd1-1'), {
    traceId: '0000000000000000463ac35c9f6413ad',
    spanId: 'e457b5a2e4d86bd1',
    sampled: true,
    format: 'b3',
  });
});
single('a deferred decision (no sampling field) is taken as sampled', () => {
  assert.is(parseB3Single(`${B3T}-${B3S}`)?.sampled, true);
});
single.run();

const sampling = suite('parseB3Sampling');
sampling('C1.21 a sampling-only value is a decision without ids', () => {
  assert.is(parseB3Sampling('0'), false);
  assert.is(parseB3Sampling('1'), true);
  assert.is(parseB3Sampling('d'), true);
  for (const value of ['', '2', 'true', `${B3T}-${B3S}-1`, 0, null]) assert.is(parseB3Sampling(value), undefined, `~> ${String(value)}`);
});
sampling.run();

const format = suite('formatB3Single');
format('writes traceId-spanId-sampled and round-trips', () => {
  assert.is(formatB3Single({ traceId: T, spanId: P, sampled: true }), `${T}-${P}-1`);
  assert.is(formatB3Single({ traceId: T, spanId: P, sampled: false }), `${T}-${P}-0`);
  assert.equal(parseB3Single(formatB3Single({ traceId: T, spanId: P, sampled: false })), { traceId: T, spanId: P, sampled: false, format: 'b3' });
});
format.run();

const extract = suite('extractContext (b3, b3multi)');
extract('C1.21 malformed single headers start a new trace; 0 and d carry only a decision', () => {
  for (const value of REJECTED_B3) assert.is(extractContext({ b3: value }, ['b3']), undefined, `~> ${JSON.stringify(value)}`);
  assert.is(extractContext({ b3: '0' }, ['b3']), undefined);
  assert.is(extractSampling({ b3: '0' }, ['b3']), false, '~> deny');
  assert.is(extractContext({ b3: 'd' }, ['b3']), undefined);
  assert.is(extractSampling({ b3: 'd' }, ['b3']), true, '~> debug');
  assert.is(extractContext({ b3: [`${B3T}-${B3S}-1`, `${B3T}-${B3S}-1`] }, ['b3']), undefined, '~> header seen twice');
});
extract('C1.21 the B3 header name is case-insensitive and OWS is trimmed', () => {
  assert.is(extractContext({ B3: ` ${B3T}-${B3S}-1\t` }, ['b3'])?.traceId, B3T);
});
const multi = (headers: Record<string, string | string[]>) => extractContext(headers, ['b3multi']);
extract('C1.22 malformed multi headers start a new trace', () => {
  const rows: Array<readonly [string, Record<string, string | string[]>]> = [
    ['trace id without span id', { 'X-B3-TraceId': B3T }],
    ['span id without trace id', { 'X-B3-SpanId': B3S }],
    ['sampled 2', { 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Sampled': '2' }],
    ['flags 2', { 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Flags': '2' }],
    ['a traceparent as trace id', { 'X-B3-TraceId': `00-${T}-${P}-01`, 'X-B3-SpanId': B3S }],
    ['short trace id', { 'X-B3-TraceId': 'abc123', 'X-B3-SpanId': B3S }],
    ['zero span id', { 'X-B3-TraceId': B3T, 'X-B3-SpanId': '0000000000000000' }],
    ['uppercase span id', { 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S.toUpperCase() }],
    ['trace id twice', { 'X-B3-TraceId': [B3T, B3T], 'X-B3-SpanId': B3S }],
    ['sampled twice', { 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Sampled': ['1', '1'] }],
    ['oversized trace id', { 'X-B3-TraceId': 'a'.repeat(100_000), 'X-B3-SpanId': B3S }],
  ];
  for (const [label, headers] of rows) assert.is(multi(headers), undefined, `~> ${label}`);
});
extract('C1.22 reads the multi headers; Sampled true/false as old clients send it, Flags 1 as debug', () => {
  assert.equal(multi({ 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Sampled': '1' }), { traceId: B3T, spanId: B3S, sampled: true, format: 'b3multi' });
  assert.is(multi({ 'x-b3-traceid': B3T, 'x-b3-spanid': B3S, 'x-b3-sampled': '0' })?.sampled, false);
  assert.is(multi({ 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Sampled': 'true' })?.sampled, true);
  assert.is(multi({ 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Sampled': 'false' })?.sampled, false);
  assert.is(multi({ 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S, 'X-B3-Flags': '1', 'X-B3-Sampled': '0' })?.sampled, true, '~> debug wins');
  assert.is(multi({ 'X-B3-TraceId': B3T, 'X-B3-SpanId': B3S })?.sampled, true, '~> deferred');
  assert.is(multi({ 'X-B3-TraceId': '463ac35c9f6413ad', 'X-B3-SpanId': B3S })?.traceId, '0000000000000000463ac35c9f6413ad');
  assert.is(extractSampling({ 'X-B3-Sampled': '0' }, ['b3multi']), false, '~> a lone Sampled header is a decision');
  assert.is(extractSampling({ 'X-B3-Sampled': '2' }, ['b3multi']), undefined);
});
extract.run();
