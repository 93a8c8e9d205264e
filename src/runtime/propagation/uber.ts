/**
 * Jaeger: `uber-trace-id: traceId:spanId:parentSpanId:flags` and one `uberctx-<key>` header per baggage item.
 *
 * - the value may arrive URL-encoded (`%3A` for `:`); a malformed escape makes it invalid, never a URIError.
 * - ids are hex in any case, leading zeros may be dropped: trace id 1-32 digits, span id 1-16, both left-padded
 *   and lower-cased, not all zero; the deprecated parent id is 1-16 hex digits (usually `0`) and not kept.
 * - flags are 1-2 hex digits; bit 0 is sampled.
 * - `uberctx-*` values are URL-decoded; an item with a malformed escape is dropped, the others kept (also when
 *   `uber-trace-id` itself is invalid).
 */
import { MAX_BAGGAGE_BYTES, MAX_BAGGAGE_MEMBERS } from './baggage';
import { padHexId, scanHex } from './ids';
import { isToken, percentDecode, percentEncode, trimOws } from './text';
import type { TraceContext } from './types';

export const UBER_TRACE_ID = 'uber-trace-id';
export const UBER_BAGGAGE_PREFIX = 'uberctx-';

/** Well above the longest valid value (32 + 16 + 16 + 2 digits, three colons, each colon maybe `%3A`). */
const MAX_UBER_LENGTH = 128;

export function parseUberTraceId(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > MAX_UBER_LENGTH) return undefined;
  const decoded = percentDecode(trimOws(value), true);
  if (decoded === undefined) return undefined;
  const parts = decoded.split(':');
  if (parts.length !== 4) return undefined;
  const [traceHex, spanHex, parentHex, flagsHex] = parts;
  const traceId = padHexId(traceHex, 32);
  const spanId = padHexId(spanHex, 16);
  if (!traceId || !spanId) return undefined;
  if (parentHex.length < 1 || parentHex.length > 16 || scanHex(parentHex, 0, parentHex.length, true) < 0) return undefined;
  if (flagsHex.length < 1 || flagsHex.length > 2 || scanHex(flagsHex, 0, flagsHex.length, true) < 0) return undefined;
  return { traceId, spanId, sampled: (parseInt(flagsHex, 16) & 1) === 1, format: 'uber' };
}

export function formatUberTraceId(ctx: TraceContext): string {
  return `${ctx.traceId}:${ctx.spanId}:0:${ctx.sampled === true ? '01' : '00'}`;
}

/**
 * `uberctx-<key>` headers (as `[key, values]`) to baggage entries; malformed values are dropped. The W3C
 * baggage limits apply: at most 64 items, and items stop when their headers pass 8192 bytes.
 */
export function parseUberBaggage(headers: Iterable<readonly [string, readonly string[]]>): Array<readonly [string, string]> {
  const entries: Array<readonly [string, string]> = [];
  let bytes = 0;
  for (const [key, values] of headers) {
    bytes += UBER_BAGGAGE_PREFIX.length + key.length + values[0].length;
    if (bytes > MAX_BAGGAGE_BYTES || entries.length === MAX_BAGGAGE_MEMBERS) break;
    const value = values.length === 1 ? percentDecode(trimOws(values[0]), true) : undefined;
    if (value !== undefined && isToken(key)) entries.push([key, value]);
  }
  return entries;
}

/** RFC 3986 unreserved characters: what `encodeURIComponent` leaves alone, minus its `!'()*`. */
const isUnreserved = (c: number) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;

/** A baggage value as an `uberctx-*` header value: URL-encoded, so always printable ASCII. */
export function encodeUberBaggageValue(value: string): string {
  return percentEncode(value, isUnreserved);
}
