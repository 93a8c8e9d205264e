/**
 * StrictPropagator: OpenTelemetry's TextMapPropagator interface over the runtime's own parsers, for each
 * `OTEL_PROPAGATORS` name, through OTel's default and custom getters/setters, and against hostile carriers.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { StrictPropagator } from '../../../src/otel';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function contextWith(flags = 1, state?: string, baggage?: Record<string, string>): Context {
  let ctx = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE,
    spanId: SPAN,
    traceFlags: flags,
    traceState: state === undefined ? undefined : createTraceState(state),
  });
  if (baggage) {
    const entries = Object.fromEntries(Object.entries(baggage).map(([k, value]) => [k, { value }]));
    ctx = propagation.setBaggage(ctx, propagation.createBaggage(entries));
  }
  return ctx;
}

function injected(names: ConstructorParameters<typeof StrictPropagator>[0], ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  new StrictPropagator(names).inject(ctx, headers, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
  return headers;
}

const baggageOf = (ctx: Context) =>
  Object.fromEntries((propagation.getBaggage(ctx)?.getAllEntries() ?? []).map(([k, e]) => [k, e.value]));

const inject = suite('StrictPropagator.inject');
inject('default: traceparent with the sampled flag, tracestate, and percent-encoded baggage', () => {
  const headers = injected(undefined, contextWith(1, 'vendor=abc', { user: 'ann lee' }));
  assert.equal(headers, {
    traceparent: `00-${TRACE}-${SPAN}-01`,
    tracestate: 'vendor=abc',
    baggage: 'user=ann%20lee',
  });
});
inject('an unsampled context is written unsampled; tracecontext alone carries no baggage', () => {
  assert.equal(injected(['tracecontext'], contextWith(0, undefined, { k: 'v' })), { traceparent: `00-${TRACE}-${SPAN}-00` });
});
inject('b3, b3multi and jaeger write their own headers', () => {
  assert.equal(injected(['b3'], contextWith()), { b3: `${TRACE}-${SPAN}-1` });
  const multi = injected(['b3multi'], contextWith());
  assert.is(multi['x-b3-traceid'], TRACE);
  assert.is(multi['x-b3-spanid'], SPAN);
  assert.is(multi['x-b3-sampled'], '1');
  assert.match(injected(['jaeger'], contextWith())['uber-trace-id'], new RegExp(`^${TRACE}:${SPAN}:0:0?1$`));
});
inject('baggage alone is written without a span, and with jaeger also as uberctx-*', () => {
  const onlyBaggage = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ k: { value: 'v' } }));
  assert.equal(injected(['baggage'], onlyBaggage), { baggage: 'k=v' });
  const jaeger = injected(['jaeger', 'baggage'], contextWith(1, undefined, { k: 'v' }));
  assert.is(jaeger['uberctx-k'], 'v');
  assert.is(jaeger.baggage, 'k=v');
});
inject('an invalid span context writes nothing; a throwing setter never escapes', () => {
  const invalid = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 });
  assert.equal(injected(undefined, invalid), {});
  const throwing: TextMapSetter = { set: () => { throw new Error('frozen'); } };
  new StrictPropagator(['tracecontext', 'baggage', 'b3']).inject(contextWith(1, undefined, { k: 'v' }), {}, throwing);
});
inject.run();

const extract = suite('StrictPropagator.extract');
extract('reads traceparent, tracestate and baggage into a remote span context', () => {
  const ctx = new StrictPropagator().extract(ROOT_CONTEXT, {
    traceparent: `00-${TRACE}-${SPAN}-01`,
    tracestate: 'vendor=abc',
    baggage: 'user=ann%20lee;prop=1',
  }, { get: (c, k) => (c as Record<string, string>)[k], keys: (c) => Object.keys(c as object) });
  const span = trace.getSpanContext(ctx)!;
  assert.equal([span.traceId, span.spanId, span.traceFlags, span.isRemote], [TRACE, SPAN, 1, true]);
  assert.is(span.traceState?.serialize(), 'vendor=abc');
  assert.equal(baggageOf(ctx), { user: 'ann lee' });
});
extract('with OTel\'s default getter the header case of a plain record does not matter', () => {
  const ctx = new StrictPropagator().extract(ROOT_CONTEXT, { TraceParent: `00-${TRACE}-${SPAN}-01` });
  assert.is(trace.getSpanContext(ctx)?.traceId, TRACE);
});
extract('formats are tried in the order named', () => {
  const carrier = { traceparent: `00-${TRACE}-${SPAN}-01`, b3: `${'a'.repeat(32)}-${'b'.repeat(16)}-1` };
  assert.is(trace.getSpanContext(new StrictPropagator(['b3', 'tracecontext']).extract(ROOT_CONTEXT, carrier))?.traceId, 'a'.repeat(32));
  assert.is(trace.getSpanContext(new StrictPropagator(['tracecontext', 'b3']).extract(ROOT_CONTEXT, carrier))?.traceId, TRACE);
});
extract('malformed headers leave the context as it was (a new trace), baggage still read when asked', () => {
  const malformed = [
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    '00-' + 'a'.repeat(65_536),
  ];
  for (const traceparent of malformed) {
    const ctx = new StrictPropagator(['tracecontext']).extract(ROOT_CONTEXT, { traceparent });
    assert.is(ctx, ROOT_CONTEXT, `~> ${traceparent.slice(0, 60)}`);
  }
  const ctx = new StrictPropagator().extract(ROOT_CONTEXT, { traceparent: 'garbage', baggage: 'k=v' });
  assert.is(trace.getSpanContext(ctx), undefined);
  assert.equal(baggageOf(ctx), { k: 'v' });
});
extract('hostile carriers and getters never throw', () => {
  const hostile: TextMapGetter = { get: () => { throw new Error('boom'); }, keys: () => { throw new Error('boom'); } };
  const p = new StrictPropagator(['tracecontext', 'baggage', 'jaeger']);
  for (const carrier of [null, undefined, 42, 'x', [], new Proxy({}, { ownKeys: () => { throw new Error('trap'); } })]) {
    assert.is(p.extract(ROOT_CONTEXT, carrier), ROOT_CONTEXT);
  }
  assert.is(p.extract(ROOT_CONTEXT, {}, hostile), ROOT_CONTEXT);
  const getterReturningNumber = { get traceparent() { return 1; } };
  assert.is(p.extract(ROOT_CONTEXT, getterReturningNumber), ROOT_CONTEXT);
});
extract('round trip: what inject writes, extract reads back', () => {
  for (const names of [['tracecontext', 'baggage'], ['b3'], ['b3multi'], ['jaeger', 'baggage']] as const) {
    const headers = injected(names, contextWith(1, undefined, { k: 'v' }));
    const ctx = new StrictPropagator(names).extract(ROOT_CONTEXT, headers);
    assert.is(trace.getSpanContext(ctx)?.spanId, SPAN, `~> ${names.join(',')}`);
    if (names.includes('baggage' as never)) assert.equal(baggageOf(ctx), { k: 'v' });
  }
});
extract.run();

const fields = suite('StrictPropagator.fields');
fields('names the headers of the chosen formats', () => {
  assert.equal(new StrictPropagator().fields(), ['traceparent', 'tracestate', 'baggage']);
  assert.equal(new StrictPropagator(['b3', 'jaeger']).fields(), ['b3', 'uber-trace-id']);
});
fields.run();
