/**
 * Trace-context propagation without a tracer: read and write W3C Trace Context (+ Baggage), B3 and Jaeger
 * headers. Extraction never throws: malformed or hostile input yields `undefined` (start a new trace).
 * Injection never throws and only writes values `http.request` accepts (printable ASCII, no CR/LF/NUL).
 */
import { MAX_BAGGAGE_MEMBERS } from './baggage';
import { openCarrier, type HeaderReader } from './carrier';
import { FORMATS, type Writer } from './formats';
import { isSpanId, isTraceId, newSpanId, newTraceId } from './ids';
import type { OutgoingCarrier, PropagationFormat, TraceContext } from './types';

export type { Carrier, HeaderValue, HeadersLike, OutgoingCarrier, PropagationFormat, TraceContext } from './types';
export { newSpanId, newTraceId, isSpanId, isTraceId, padHexId } from './ids';
export { formatTraceparent, parseTraceparent, MAX_TRACEPARENT_LENGTH } from './w3c';
export {
  formatTracestate,
  parseTracestate,
  parseTracestateMembers,
  isTracestateKey,
  isTracestateValue,
  MAX_TRACESTATE_INPUT,
  MAX_TRACESTATE_MEMBERS,
  MAX_TRACESTATE_OUTPUT,
} from './tracestate';
export { formatBaggage, parseBaggage, MAX_BAGGAGE_BYTES, MAX_BAGGAGE_MEMBERS } from './baggage';
export { parseB3Single, formatB3Single, parseB3Sampling } from './b3';
export { parseUberTraceId, formatUberTraceId } from './uber';

/** Formats read and written when none are named. */
export const DEFAULT_FORMATS: readonly PropagationFormat[] = Object.freeze(['w3c']);

/** The known formats of `formats`, in order; the default when it is not an array. */
function formatList(formats: unknown): readonly PropagationFormat[] {
  if (!Array.isArray(formats)) return DEFAULT_FORMATS;
  const known = (f: unknown): f is PropagationFormat => typeof f === 'string' && Object.hasOwn(FORMATS, f);
  // The common case, a list of known names, is used as it is: no copy per call.
  return formats.every(known) ? (formats as readonly PropagationFormat[]) : formats.filter(known);
}

/**
 * Baggage of every format in `formats`: within a format a repeated key keeps its last value, across formats
 * the first format listed wins; at most 64 items.
 */
function readBaggage(headers: HeaderReader, formats: readonly PropagationFormat[]): Readonly<Record<string, string>> | undefined {
  let merged: Record<string, string> | undefined;
  let count = 0;
  for (const format of formats) {
    const entries = FORMATS[format].baggage?.(headers);
    if (!entries?.length) continue;
    if (merged === undefined) {
      merged = Object.create(null) as Record<string, string>;
      for (const [key, value] of entries) merged[key] = value;
      count = Object.keys(merged).length;
      continue;
    }
    const own = Object.create(null) as Record<string, string>;
    for (const [key, value] of entries) own[key] = value;
    for (const key of Object.keys(own)) {
      if (count === MAX_BAGGAGE_MEMBERS) break;
      if (key in merged) continue;
      merged[key] = own[key];
      count++;
    }
  }
  return merged && Object.freeze(merged);
}

/**
 * Reads the trace context from incoming headers. `formats` are tried in the order given (default `['w3c']`);
 * the first that yields a valid context wins, and only a W3C context carries `tracestate`. Baggage comes from
 * the `baggage` header (with `w3c`) and `uberctx-*` headers (with `uber`). Never throws: anything malformed
 * gives `undefined`, and the caller starts a new trace.
 */
export function extractContext(carrier: unknown, formats?: readonly PropagationFormat[]): TraceContext | undefined {
  try {
    const headers = openCarrier(carrier);
    const list = formatList(formats);
    for (const format of list) {
      const ctx = FORMATS[format].extract(headers);
      if (!ctx) continue;
      const baggage = readBaggage(headers, list);
      if (baggage) (ctx as { baggage?: TraceContext['baggage'] }).baggage = baggage;
      return ctx;
    }
  } catch {
    // Readers and parsers catch their own faults; this is the last guard so no input can ever throw.
  }
  return undefined;
}

/** Baggage from incoming headers even when no valid trace context came with it (for a new root). */
export function extractBaggage(carrier: unknown, formats?: readonly PropagationFormat[]): Readonly<Record<string, string>> | undefined {
  try {
    return readBaggage(openCarrier(carrier), formatList(formats));
  } catch {
    return undefined;
  }
}

/**
 * The caller's sampling decision: the `sampled` flag of the context `extractContext` would return, or else a
 * decision sent without ids (B3 `b3: 0`, a lone `X-B3-Sampled`). Undefined when the caller sent none.
 */
export function extractSampling(carrier: unknown, formats?: readonly PropagationFormat[]): boolean | undefined {
  try {
    const headers = openCarrier(carrier);
    const list = formatList(formats);
    for (const format of list) {
      const ctx = FORMATS[format].extract(headers);
      if (ctx) return ctx.sampled;
    }
    for (const format of list) {
      const decision = FORMATS[format].samplingOnly?.(headers);
      if (decision !== undefined) return decision;
    }
  } catch {
    // As in extractContext.
  }
  return undefined;
}

function writerFor(carrier: OutgoingCarrier): Writer {
  const set = (carrier as { set?: unknown }).set;
  if (typeof set === 'function') return (name, value) => void set.call(carrier, name, value);
  return (name, value) => {
    (carrier as Record<string, unknown>)[name] = value;
  };
}

/**
 * Writes `ctx` into outgoing headers (a record, or anything with `set()` such as fetch `Headers`) in each of
 * `formats` (default `['w3c']`), header names in lower case. Writes nothing when the ids are invalid; drops an
 * invalid tracestate; percent-encodes baggage values. Never throws.
 */
export function injectContext(ctx: TraceContext, carrier: OutgoingCarrier, formats?: readonly PropagationFormat[]): void {
  try {
    if (ctx === null || typeof ctx !== 'object' || !isTraceId(ctx.traceId) || !isSpanId(ctx.spanId)) return;
    if (carrier === null || typeof carrier !== 'object') return;
    const write = writerFor(carrier);
    for (const format of formatList(formats)) FORMATS[format].inject(ctx, write);
  } catch {
    // A frozen carrier or a throwing setter: the request goes out without (some) trace headers.
  }
}

/** A new trace: random ids (so the level-2 random flag is set), sampled unless told otherwise. */
export function newRootContext(sampled = true): TraceContext {
  return { traceId: newTraceId(), spanId: newSpanId(), sampled, random: true };
}

/** The context of a child span: same trace, flags, tracestate and baggage; a new span id. */
export function childContext(parent: TraceContext): TraceContext {
  const { format: _from, ...inherited } = parent;
  return { ...inherited, spanId: newSpanId() };
}
