/**
 * The glue between a carrier and each wire format: which headers a format reads and writes. `./index` runs
 * these in the caller's order; the parsers themselves live in one module per format.
 */
import { BAGGAGE, formatBaggage, MAX_BAGGAGE_BYTES, MAX_BAGGAGE_MEMBERS, parseBaggageEntries } from './baggage';
import {
  B3,
  B3_FLAGS,
  B3_SAMPLED,
  B3_SPAN_ID,
  B3_TRACE_ID,
  formatB3Single,
  multiSampling,
  parseB3Multi,
  parseB3Sampling,
  parseB3Single,
} from './b3';
import type { HeaderReader } from './carrier';
import { isToken } from './text';
import { formatTracestate, parseTracestate } from './tracestate';
import type { PropagationFormat, TraceContext } from './types';
import {
  encodeUberBaggageValue,
  formatUberTraceId,
  parseUberBaggage,
  parseUberTraceId,
  UBER_BAGGAGE_PREFIX,
  UBER_TRACE_ID,
} from './uber';
import { formatTraceparent, parseTraceparent, TRACEPARENT, TRACESTATE } from './w3c';

export type Writer = (name: string, value: string) => void;

interface Format {
  /** The context this format carries, or undefined (absent or invalid). */
  extract(headers: HeaderReader): TraceContext | undefined;
  /** A sampling decision sent without ids (B3 `b3: 0`); undefined when there is none. */
  samplingOnly?(headers: HeaderReader): boolean | undefined;
  /** The baggage entries this format carries, in order. */
  baggage?(headers: HeaderReader): Array<readonly [string, string]>;
  /** Writes a context whose ids are already known to be valid. */
  inject(ctx: TraceContext, write: Writer): void;
}

/** The value of a header that must appear once: undefined when absent, null when repeated. */
function single(headers: HeaderReader, name: string): string | undefined | null {
  const values = headers.get(name);
  if (!values) return undefined;
  return values.length === 1 ? values[0] : null;
}

/** Up to 64 items and 8192 bytes, each as its own `uberctx-<key>` header (keys that are not tokens skipped). */
function injectUberBaggage(baggage: TraceContext['baggage'], write: Writer): void {
  if (baggage === null || typeof baggage !== 'object') return;
  let count = 0;
  let bytes = 0;
  for (const key of Object.keys(baggage)) {
    let value: unknown;
    try {
      value = baggage[key];
    } catch {
      continue;
    }
    if (typeof value !== 'string' || !isToken(key)) continue;
    const encoded = encodeUberBaggageValue(value);
    bytes += UBER_BAGGAGE_PREFIX.length + key.length + encoded.length;
    if (bytes > MAX_BAGGAGE_BYTES || ++count > MAX_BAGGAGE_MEMBERS) return;
    write(UBER_BAGGAGE_PREFIX + key, encoded);
  }
}

export const FORMATS: Readonly<Record<PropagationFormat, Format>> = {
  w3c: {
    extract(headers) {
      const value = single(headers, TRACEPARENT);
      const ctx = value ? parseTraceparent(value) : undefined;
      if (!ctx) return undefined;
      const traceState = parseTracestate(headers.get(TRACESTATE));
      // The parsers hand out fresh objects: completing this one saves a copy per request.
      if (traceState) (ctx as { traceState?: string }).traceState = traceState;
      return ctx;
    },
    baggage: (headers) => parseBaggageEntries(headers.get(BAGGAGE)),
    inject(ctx, write) {
      write(TRACEPARENT, formatTraceparent(ctx)!);
      const traceState = formatTracestate(ctx.traceState);
      if (traceState) write(TRACESTATE, traceState);
      const baggage = formatBaggage(ctx.baggage);
      if (baggage) write(BAGGAGE, baggage);
    },
  },
  b3: {
    extract(headers) {
      const value = single(headers, B3);
      return value ? parseB3Single(value) : undefined;
    },
    samplingOnly(headers) {
      const value = single(headers, B3);
      return value ? parseB3Sampling(value) : undefined;
    },
    inject: (ctx, write) => write(B3, formatB3Single(ctx)),
  },
  b3multi: {
    extract(headers) {
      const traceId = single(headers, B3_TRACE_ID);
      const spanId = single(headers, B3_SPAN_ID);
      const sampled = single(headers, B3_SAMPLED);
      const flags = single(headers, B3_FLAGS);
      if (traceId === null || spanId === null || sampled === null || flags === null) return undefined;
      return parseB3Multi(traceId, spanId, sampled, flags);
    },
    samplingOnly(headers) {
      const sampled = single(headers, B3_SAMPLED);
      const flags = single(headers, B3_FLAGS);
      if (sampled === null || flags === null) return undefined;
      return multiSampling(sampled, flags) ?? undefined;
    },
    inject(ctx, write) {
      write(B3_TRACE_ID, ctx.traceId);
      write(B3_SPAN_ID, ctx.spanId);
      write(B3_SAMPLED, ctx.sampled === true ? '1' : '0');
    },
  },
  uber: {
    extract(headers) {
      const value = single(headers, UBER_TRACE_ID);
      return value ? parseUberTraceId(value) : undefined;
    },
    baggage: (headers) => parseUberBaggage(headers.withPrefix(UBER_BAGGAGE_PREFIX)),
    inject(ctx, write) {
      write(UBER_TRACE_ID, formatUberTraceId(ctx));
      injectUberBaggage(ctx.baggage, write);
    },
  },
};
