/**
 * An OpenTelemetry TextMapPropagator built on the runtime's own strict parsers (../propagation), so that the
 * OpenTracing shim's inject/extract, and OTel instrumentations when it is registered globally, read and write
 * headers exactly as ts-traced's servers and clients do: malformed input starts a new trace, hostile carriers
 * never throw, nothing is written that `http.request` would refuse.
 *
 * Names follow `OTEL_PROPAGATORS`: `tracecontext`, `baggage`, `b3` (single header), `b3multi`, `jaeger`.
 */
import {
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { extractContext, injectContext, type PropagationFormat, type TraceContext } from '../propagation';

export const PROPAGATOR_NAMES = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'] as const;
export type PropagatorName = (typeof PROPAGATOR_NAMES)[number];

const FORMAT_OF: Record<Exclude<PropagatorName, 'baggage'>, PropagationFormat> = {
  tracecontext: 'w3c',
  b3: 'b3',
  b3multi: 'b3multi',
  jaeger: 'uber',
};

/** Headers each format writes (the `fields()` answer; prefixed families are named by their prefix). */
const FIELDS: Record<PropagatorName, readonly string[]> = {
  tracecontext: ['traceparent', 'tracestate'],
  baggage: ['baggage'],
  b3: ['b3'],
  b3multi: ['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'],
  jaeger: ['uber-trace-id'],
};

const SAMPLED = 0x01;
const RANDOM = 0x02;

export class StrictPropagator implements TextMapPropagator {
  private readonly formats: readonly PropagationFormat[];
  private readonly baggage: boolean;
  private readonly names: readonly string[];

  /** `names` in order of preference for extraction; every one is written on injection. */
  constructor(names: readonly PropagatorName[] = ['tracecontext', 'baggage']) {
    this.formats = names.flatMap((n) => (n === 'baggage' ? [] : [FORMAT_OF[n]]));
    this.baggage = names.includes('baggage');
    this.names = [...new Set(names.flatMap((n) => FIELDS[n]))];
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter = defaultTextMapSetter): void {
    if (carrier === null || typeof carrier !== 'object') return;
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined) return;
    const ctx: { -readonly [K in keyof TraceContext]: TraceContext[K] } = {
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      sampled: (spanContext.traceFlags & SAMPLED) !== 0,
      random: (spanContext.traceFlags & RANDOM) !== 0,
    };
    const traceState = spanContext.traceState?.serialize();
    if (traceState) ctx.traceState = traceState;
    if (this.baggage) {
      const entries = propagation.getBaggage(context)?.getAllEntries();
      if (entries?.length) ctx.baggage = Object.fromEntries(entries.map(([k, e]) => [k, e.value]));
    }
    const target = setter === defaultTextMapSetter ? (carrier as Record<string, unknown>) : writerFor(carrier, setter);
    injectContext(ctx, target, this.formats);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter = defaultTextMapGetter): Context {
    const source = getter === defaultTextMapGetter ? carrier : readerFor(carrier, getter);
    const found = extractContext(source, this.formats);
    if (found === undefined) return context;
    const spanContext: SpanContext = {
      traceId: found.traceId,
      spanId: found.spanId,
      traceFlags: (found.sampled ? SAMPLED : 0) | (found.random ? RANDOM : 0),
      isRemote: true,
    };
    if (found.traceState) spanContext.traceState = createTraceState(found.traceState);
    let result = trace.setSpanContext(context, spanContext);
    if (this.baggage && found.baggage) {
      const entries = Object.entries(found.baggage).map(([k, value]) => [k, { value }] as const);
      if (entries.length) result = propagation.setBaggage(result, propagation.createBaggage(Object.fromEntries(entries)));
    }
    return result;
  }

  fields(): string[] {
    return [...this.names];
  }
}

/** A carrier read through an OTel getter, in the Headers-like shape the runtime's reader takes. */
function readerFor(carrier: unknown, getter: TextMapGetter): { get(name: string): unknown; entries(): Iterable<[string, unknown]> } {
  return {
    get: (name) => getter.get(carrier, name),
    *entries() {
      for (const key of getter.keys(carrier)) yield [key, getter.get(carrier, key)];
    },
  };
}

function writerFor(carrier: unknown, setter: TextMapSetter): Record<string, unknown> {
  return { set: (name: string, value: string) => setter.set(carrier, name, value) };
}
