/**
 * The shapes every propagation format reads and writes. Re-exported by `./index`.
 */

/** Wire formats: W3C Trace Context (+ Baggage), Zipkin B3 single header, B3 multi header, Jaeger `uber-trace-id`. */
export type PropagationFormat = 'w3c' | 'b3' | 'b3multi' | 'uber';

export interface TraceContext {
  /** 32 lowercase hex, never all zero. */
  readonly traceId: string;
  /** 16 lowercase hex, never all zero (the parent id when extracted). */
  readonly spanId: string;
  readonly sampled: boolean;
  /**
   * W3C Trace Context level 2 random-trace-id flag (0x02): the trace id's right-most 7 bytes are random. Kept as
   * received for an extracted W3C context, set by `newRootContext`; absent means unknown (written as 0).
   */
  readonly random?: boolean;
  /** Normalised W3C tracestate to forward (absent when invalid or empty). */
  readonly traceState?: string;
  /** Baggage items: a frozen null-prototype object. */
  readonly baggage?: Readonly<Record<string, string>>;
  /** Which format the context came from. */
  readonly format?: PropagationFormat;
}

/** A header value as node gives it (`IncomingHttpHeaders`, `headersDistinct`) or a plain record holds it. */
export type HeaderValue = string | readonly string[] | undefined;

/** `Headers` (fetch), a `Map`, or anything else that reads one header by name (asked in lower case). */
export interface HeadersLike {
  get(name: string): unknown;
}

/** Outgoing headers: a plain record (`OutgoingHttpHeaders`), or anything with `set()` such as fetch `Headers`. */
export type OutgoingCarrier = Record<string, unknown> | { set(name: string, value: string): unknown };

/**
 * Incoming headers: node's `IncomingHttpHeaders` (lower-cased keys, string | string[]), a Headers-like object
 * with `get()`, or a plain record with keys in any case.
 */
export type Carrier = Readonly<Record<string, HeaderValue>> | HeadersLike;
