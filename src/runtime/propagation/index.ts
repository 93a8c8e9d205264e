/**
 * Trace-context propagation without a tracer: read and write W3C Trace Context (+ Baggage), B3 and Jaeger
 * headers. Extraction never throws: malformed or hostile input yields `undefined` (start a new trace).
 * Injection never throws and only writes values `http.request` accepts (printable ASCII, no CR/LF/NUL).
 */
import { openCarrier, type HeaderReader } from './carrier';
import { isSpanId, isTraceId, newSpanId, newTraceId } from './ids';
import { formatTracestate, parseTracestate } from './tracestate';
import { formatTraceparent, parseTraceparent, TRACEPARENT, TRACESTATE } from './w3c';
import type { PropagationFormat, TraceContext } from './types';

export type { Carrier, HeaderValue, HeadersLike, PropagationFormat, TraceContext } from './types';
export { newSpanId, newTraceId, isSpanId, isTraceId } from './ids';
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

/** Formats read and written when none are named. */
export const DEFAULT_FORMATS: readonly PropagationFormat[] = ['w3c'];

/** Header names this module reads and writes, lower case. */
export const HEADERS = { traceparent: TRACEPARENT, tracestate: TRACESTATE } as const;

type Extractor = (headers: HeaderReader) => TraceContext | undefined;
type Writer = (name: string, value: string) => void;
type Injector = (ctx: TraceContext, write: Writer) => void;

function extractW3c(headers: HeaderReader): TraceContext | undefined {
  const values = headers.get(TRACEPARENT);
  if (!values || values.length !== 1) return undefined;
  const ctx = parseTraceparent(values[0]);
  if (!ctx) return undefined;
  const traceState = parseTracestate(headers.get(TRACESTATE));
  return traceState ? { ...ctx, traceState } : ctx;
}

function injectW3c(ctx: TraceContext, write: Writer): void {
  write(TRACEPARENT, formatTraceparent(ctx)!);
  const traceState = formatTracestate(ctx.traceState);
  if (traceState) write(TRACESTATE, traceState);
}

const EXTRACTORS: Partial<Record<PropagationFormat, Extractor>> = { w3c: extractW3c };
const INJECTORS: Partial<Record<PropagationFormat, Injector>> = { w3c: injectW3c };

/** The known formats of `formats`, in order; the default when it is not an array. */
function formatList(formats: unknown): readonly PropagationFormat[] {
  if (!Array.isArray(formats)) return DEFAULT_FORMATS;
  return formats.filter((f): f is PropagationFormat => typeof f === 'string' && Object.hasOwn(EXTRACTORS, f));
}

/**
 * Reads the trace context from incoming headers. `formats` are tried in the order given (default `['w3c']`);
 * the first that yields a valid context wins. Never throws: anything malformed gives `undefined`.
 */
export function extractContext(carrier: unknown, formats?: readonly PropagationFormat[]): TraceContext | undefined {
  try {
    const headers = openCarrier(carrier);
    for (const format of formatList(formats)) {
      const ctx = EXTRACTORS[format]!(headers);
      if (ctx) return ctx;
    }
  } catch {
    // Unreachable by design (readers catch their own faults); kept so no input can ever throw.
  }
  return undefined;
}

function writerFor(carrier: Record<string, unknown>): Writer {
  const set = (carrier as { set?: unknown }).set;
  if (typeof set === 'function') return (name, value) => void set.call(carrier, name, value);
  return (name, value) => {
    carrier[name] = value;
  };
}

/**
 * Writes `ctx` into outgoing headers (a record, or anything with `set()` such as fetch `Headers`) in each of
 * `formats` (default `['w3c']`). Writes nothing when the ids are invalid; never throws.
 */
export function injectContext(ctx: TraceContext, carrier: Record<string, unknown>, formats?: readonly PropagationFormat[]): void {
  try {
    if (ctx === null || typeof ctx !== 'object' || !isTraceId(ctx.traceId) || !isSpanId(ctx.spanId)) return;
    if (carrier === null || typeof carrier !== 'object') return;
    const write = writerFor(carrier);
    for (const format of formatList(formats)) INJECTORS[format]!(ctx, write);
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
