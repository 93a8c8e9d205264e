/**
 * W3C traceparent at carrier level: RELIABILITY C1 cases 1-11 and the traceparent rows of the W3C test suite.
 * "new root" = `extractContext` gives undefined; "accept" = the trace id and parent id come through.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { childContext, extractContext, formatTraceparent, parseTraceparent } from '../../../src/runtime/propagation';
import { P, Q, REJECTED_TRACEPARENTS as REJECTED, S, T, TP } from './cases';

const parse = suite('parseTraceparent');
parse('C1.1-C1.9 rejects every malformed value', () => {
  let count = 0;
  for (const [label, values] of REJECTED) {
    for (const value of values) {
      assert.is(parseTraceparent(value), undefined, `~> ${label}: ${JSON.stringify(value.slice(0, 80))}`);
      count++;
    }
  }
  assert.ok(count >= 55, '~> corpus size');
});
parse('reads ids and the sampled and random flags of version 00', () => {
  assert.equal(parseTraceparent(TP), { traceId: T, spanId: P, sampled: true, random: false, format: 'w3c' });
  assert.equal(parseTraceparent(`00-${T}-${P}-00`), { traceId: T, spanId: P, sampled: false, random: false, format: 'w3c' });
  assert.equal(parseTraceparent(`00-${T}-${P}-03`), { traceId: T, spanId: P, sampled: true, random: true, format: 'w3c' });
  assert.is(parseTraceparent(`00-${T}-${P}-fe`)?.sampled, false, '~> unknown bits ignored, bit 0 clear');
  assert.is(parseTraceparent(`00-${T}-${P}-ff`)?.sampled, true, '~> unknown bits ignored, bit 0 set');
});
parse('C1.3 accepts a future version when the rest starts with "-"', () => {
  for (const value of [`cc-${T}-${P}-01-what-the-future-will-be-like`, `cc-${T}-${P}-01`, `01-${T}-${P}-01-`, `fe-${T}-${P}-00-x`]) {
    const ctx = parseTraceparent(value);
    assert.is(ctx?.traceId, T, `~> ${value}`);
    assert.is(ctx?.spanId, P, `~> ${value}`);
  }
});
parse('C1.10 trims SP and HTAB around the value, nothing else', () => {
  for (const value of [` ${TP}`, `\t${TP}`, `${TP} \t`, `\t ${TP} \t`]) assert.is(parseTraceparent(value)?.traceId, T, `~> ${JSON.stringify(value)}`);
  for (const value of [`\n${TP}`, `${TP}\u00a0`, `\u2003${TP}`]) assert.is(parseTraceparent(value), undefined, `~> ${JSON.stringify(value)}`);
});
parse('non-strings are not traceparents', () => {
  for (const value of [undefined, null, 42, true, {}, [TP], Symbol('x')]) assert.is(parseTraceparent(value), undefined);
});
parse.run();

const format = suite('formatTraceparent');
format('writes version 00 with the sampled and random bits', () => {
  assert.is(formatTraceparent({ traceId: T, spanId: P, sampled: true }), TP);
  assert.is(formatTraceparent({ traceId: T, spanId: P, sampled: false }), `00-${T}-${P}-00`);
  assert.is(formatTraceparent({ traceId: T, spanId: P, sampled: true, random: true }), `00-${T}-${P}-03`);
  assert.is(formatTraceparent({ traceId: T, spanId: P, sampled: false, random: true }), `00-${T}-${P}-02`);
});
format('refuses ids that are not valid lowercase hex', () => {
  for (const [traceId, spanId] of [
    ['00000000000000000000000000000000', P],
    [T, '0000000000000000'],
    [T.toUpperCase(), P],
    [T, `${P}\r\n`],
    [T.slice(1), P],
    [42 as unknown as string, P],
  ]) {
    assert.is(formatTraceparent({ traceId, spanId, sampled: true }), undefined, `~> ${String(traceId)} ${String(spanId)}`);
  }
});
format('round-trips through parseTraceparent', () => {
  const ctx = { traceId: T, spanId: P, sampled: true, random: true };
  assert.equal(parseTraceparent(formatTraceparent(ctx)), { ...ctx, format: 'w3c' });
});
format.run();

const extract = suite('extractContext (w3c)');
extract('C1.1-C1.9 start a new trace for every malformed traceparent', () => {
  for (const [label, values] of REJECTED) {
    for (const value of values) assert.is(extractContext({ traceparent: value }), undefined, `~> ${label}: ${JSON.stringify(value.slice(0, 80))}`);
  }
});
extract('C1.3 a future version keeps the trace id, and the child gets a new parent id', () => {
  for (const value of [`cc-${T}-${P}-01-what-the-future-will-be-like`, `cc-${T}-${P}-01`]) {
    const ctx = extractContext({ traceparent: value })!;
    assert.is(ctx.traceId, T);
    const child = childContext(ctx);
    assert.is(child.traceId, T, '~> trace id kept');
    assert.is.not(child.spanId, P, '~> new parent id');
  }
});
extract('C1.9 a traceparent header seen twice starts a new trace', () => {
  assert.is(extractContext({ traceparent: [TP, TP] }), undefined, '~> identical (headersDistinct)');
  assert.is(extractContext({ traceparent: [TP, `00-${S}-${Q}-01`] }), undefined, '~> different (headersDistinct)');
  assert.is(extractContext({ traceparent: `${TP}, ${TP}` }), undefined, '~> joined by the parser');
  assert.is(extractContext({ traceparent: TP, TraceParent: TP }), undefined, '~> two keys differing in case');
  assert.is(extractContext(new Headers([['traceparent', TP], ['traceparent', TP]])), undefined, '~> fetch Headers appends');
});
extract('C1.10 OWS around the value is accepted', () => {
  for (const value of [` ${TP}`, `\t${TP}`, `${TP} \t`]) assert.is(extractContext({ traceparent: value })?.spanId, P, `~> ${JSON.stringify(value)}`);
});
extract('C1.11 the header name is case-insensitive, and look-alike names are not it', () => {
  for (const name of ['traceparent', 'TraceParent', 'TRACEPARENT', 'TrAcEpArEnT']) {
    assert.is(extractContext({ [name]: TP })?.traceId, T, `~> ${name}`);
  }
  for (const name of ['trace-parent', 'trace.parent', 'traceparent ', 'x-traceparent', 'traceparent2']) {
    assert.is(extractContext({ [name]: TP }), undefined, `~> ${name}`);
  }
  assert.is(extractContext(new Headers({ TraceParent: TP }))?.traceId, T, '~> fetch Headers');
});
extract('C1.15 tracestate without a traceparent starts a new trace', () => {
  assert.is(extractContext({ tracestate: 'foo=1' }), undefined);
  assert.is(extractContext({ tracestate: 'foo=1', traceparent: `ff-${T}-${P}-01` }), undefined);
});
extract('keeps the sampled flag of the caller', () => {
  assert.is(extractContext({ traceparent: `00-${T}-${P}-00` })?.sampled, false);
  assert.is(extractContext({ traceparent: TP })?.sampled, true);
  assert.is(extractContext({ traceparent: TP })?.format, 'w3c');
});
extract.run();
