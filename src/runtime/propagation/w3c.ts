/**
 * W3C Trace Context `traceparent` (level 2): `version-traceid-parentid-flags`, all lowercase hex.
 *
 * - version 00 is exactly 55 characters; a higher version (not ff) is read as 00 when the four fields parse and
 *   whatever follows starts with `-` (the rest is ignored); version ff is invalid.
 * - uppercase hex, all-zero ids, wrong field lengths are invalid; SP/HTAB around the value is trimmed.
 * - a value containing `,` is two headers joined (HTTP combines repeated lines with ", "): invalid, as is a
 *   header that arrives twice. Values over 512 characters are rejected before any parsing.
 */
import { isSpanId, isTraceId, scanHex } from './ids';
import { trimOws } from './text';
import type { TraceContext } from './types';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/** Longer values are rejected unread: version 00 is 55 characters, and future versions only append fields. */
export const MAX_TRACEPARENT_LENGTH = 512;

const SAMPLED = 0x01;
const RANDOM = 0x02;

/** Parses one traceparent value; undefined when invalid. The result has no tracestate or baggage yet. */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > MAX_TRACEPARENT_LENGTH || value.indexOf(',') !== -1) return undefined;
  const s = trimOws(value);
  if (s.length < 55) return undefined;
  if (s.charCodeAt(2) !== 0x2d || s.charCodeAt(35) !== 0x2d || s.charCodeAt(52) !== 0x2d) return undefined;
  if (scanHex(s, 0, 2) < 0 || (s.charCodeAt(0) === 0x66 && s.charCodeAt(1) === 0x66)) return undefined;
  const isV0 = s.charCodeAt(0) === 0x30 && s.charCodeAt(1) === 0x30;
  if (s.length > 55 && (isV0 || s.charCodeAt(55) !== 0x2d)) return undefined;
  if (scanHex(s, 3, 35) !== 1 || scanHex(s, 36, 52) !== 1 || scanHex(s, 53, 55) < 0) return undefined;
  const flags = parseInt(s.slice(53, 55), 16);
  return {
    traceId: s.slice(3, 35),
    spanId: s.slice(36, 52),
    sampled: (flags & SAMPLED) !== 0,
    random: (flags & RANDOM) !== 0,
    format: 'w3c',
  };
}

/**
 * `00-<traceId>-<spanId>-<flags>` for a context with valid ids (undefined otherwise). Only the sampled and
 * random bits are written: unknown flags are set to zero, as the spec asks.
 */
export function formatTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled' | 'random'>): string | undefined {
  if (!isTraceId(ctx.traceId) || !isSpanId(ctx.spanId)) return undefined;
  const flags = (ctx.sampled === true ? SAMPLED : 0) | (ctx.random === true ? RANDOM : 0);
  return `00-${ctx.traceId}-${ctx.spanId}-0${flags}`;
}
