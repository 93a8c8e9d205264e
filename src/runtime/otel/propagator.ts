/**
 * An OpenTelemetry TextMapPropagator built on the runtime's own strict parsers (../propagation), so that the
 * OpenTracing shim's inject/extract, and OTel instrumentations when it is registered globally, read and write
 * headers exactly as ts-traced's servers and clients do: malformed input starts a new trace, hostile carriers
 * never throw, nothing is written that `http.request` would refuse.
 *
 * Names follow `OTEL_PROPAGATORS`: `tracecontext`, `baggage`, `b3` (single header), `b3multi`, `jaeger`.
 * Baggage is carried only when `baggage` is named: in the W3C `baggage` header, and in `uberctx-*` headers too
 * when `jaeger` is named.
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
import {
  extractBaggage,
  extractContext,
  formatBaggage,
  injectContext,
  type PropagationFormat,
  type TraceContext,
} from '../propagation';
import type { PropagatorName } from './names';

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
  /** Where baggage is read from: the W3C `baggage` header, and `uberctx-*` when `jaeger` is on. */
  private readonly baggageFormats: readonly PropagationFormat[];
  private readonly names: readonly string[];

  /** `names` in order of preference for extraction; every one is written on injection. */
  constructor(names: readonly PropagatorName[] = ['tracecontext', 'baggage']) {
    this.formats = names.flatMap((n) => (n === 'baggage' ? [] : [FORMAT_OF[n]]));
    this.baggage = names.includes('baggage');
    this.baggageFormats = names.includes('jaeger') ? ['w3c', 'uber'] : ['w3c'];
    this.names = [...new Set(names.flatMap((n) => FIELDS[n]))];
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter = defaultTextMapSetter): void {
    if (carrier === null || typeof carrier !== 'object') return;
    const target = setter === defaultTextMapSetter ? (carrier as Record<string, unknown>) : writerFor(carrier, setter);
    const baggage = this.baggage ? baggageOf(context) : undefined;
    const spanContext = trace.getSpanContext(context);
    if (spanContext !== undefined && this.formats.length > 0) {
      const ctx: { -readonly [K in keyof TraceContext]: TraceContext[K] } = {
        traceId: spanContext.traceId,
        spanId: spanContext.spanId,
        sampled: (spanContext.traceFlags & SAMPLED) !== 0,
        random: (spanContext.traceFlags & RANDOM) !== 0,
      };
      const traceState = spanContext.traceState?.serialize();
      if (traceState) ctx.traceState = traceState;
      if (baggage !== undefined) ctx.baggage = baggage;
      injectContext(ctx, target, this.formats);
    }
    // W3C baggage travels without a trace context too (a `baggage`-only set-up, or no active span).
    if (baggage !== undefined && (spanContext === undefined || !this.formats.includes('w3c'))) {
      const header = formatBaggage(baggage);
      try {
        if (header !== undefined) setter.set(carrier, 'baggage', header);
      } catch {
        // A frozen carrier or a throwing setter: the request goes out without baggage, as injectContext does.
      }
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter = defaultTextMapGetter): Context {
    const source = getter === defaultTextMapGetter ? carrier : readerFor(carrier, getter);
    const found = this.formats.length > 0 ? extractContext(source, this.formats) : undefined;
    let result = context;
    if (found !== undefined) {
      const spanContext: SpanContext = {
        traceId: found.traceId,
        spanId: found.spanId,
        traceFlags: (found.sampled ? SAMPLED : 0) | (found.random ? RANDOM : 0),
        isRemote: true,
      };
      if (found.traceState) spanContext.traceState = createTraceState(found.traceState);
      result = trace.setSpanContext(result, spanContext);
    }
    if (this.baggage) {
      const items = extractBaggage(source, this.baggageFormats);
      if (items !== undefined) {
        const entries = Object.keys(items).map((k) => [k, { value: items[k] }] as const);
        if (entries.length > 0) result = propagation.setBaggage(result, propagation.createBaggage(Object.fromEntries(entries)));
      }
    }
    return result;
  }

  fields(): string[] {
    return [...this.names];
  }
}

/** The context's OTel baggage as plain items; undefined when empty. */
function baggageOf(context: Context): Record<string, string> | undefined {
  const entries = propagation.getBaggage(context)?.getAllEntries();
  if (entries === undefined || entries.length === 0) return undefined;
  const items: Record<string, string> = Object.create(null);
  for (const [key, entry] of entries) items[key] = entry.value;
  return items;
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
