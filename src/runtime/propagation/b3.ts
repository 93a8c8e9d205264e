/**
 * Zipkin B3, single header (`b3: traceId-spanId[-sampling[-parentSpanId]]`) and multi header (`X-B3-TraceId`,
 * `X-B3-SpanId`, `X-B3-Sampled`, `X-B3-Flags`; `X-B3-ParentSpanId` is not needed and not read).
 *
 * - ids are lowercase hex as the spec writes them: trace id 32 or 16 characters (16 is left-padded to 32),
 *   span id 16; all-zero ids are invalid.
 * - sampling: `1` sampled, `0` not sampled, `d` debug (sampled); in the multi form also `true` / `false`, which
 *   old Zipkin clients send, and `X-B3-Flags: 1` (debug). Any other value makes the whole context invalid.
 * - no sampling field means the sender deferred the decision to us: taken as sampled.
 * - `b3: 0` (or a lone `X-B3-Sampled`) carries a decision without ids: no context, see `parseB3Sampling`.
 */
import { padHexId, scanHex } from './ids';
import { trimOws } from './text';
import type { TraceContext } from './types';

export const B3 = 'b3';
export const B3_TRACE_ID = 'x-b3-traceid';
export const B3_SPAN_ID = 'x-b3-spanid';
export const B3_SAMPLED = 'x-b3-sampled';
export const B3_FLAGS = 'x-b3-flags';

/** The longest valid single header: 32 + 16 + 1 + 16 characters and three dashes. */
const MAX_B3_LENGTH = 68;

/** `d`, `1`, `0` → true / true / false; anything else undefined. */
function singleSampling(s: string): boolean | undefined {
  return s === '1' || s === 'd' ? true : s === '0' ? false : undefined;
}

function b3TraceId(s: string): string | undefined {
  return (s.length === 16 || s.length === 32) && scanHex(s, 0, s.length) === 1 ? padHexId(s, 32) : undefined;
}

function b3SpanId(s: string): string | undefined {
  return s.length === 16 && scanHex(s, 0, 16) === 1 ? s : undefined;
}

/** One `b3` value; undefined when invalid or when it holds only a sampling decision. */
export function parseB3Single(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > MAX_B3_LENGTH + 16) return undefined;
  const parts = trimOws(value).split('-');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const traceId = b3TraceId(parts[0]);
  const spanId = b3SpanId(parts[1]);
  const sampled = parts.length > 2 ? singleSampling(parts[2]) : true;
  if (!traceId || !spanId || sampled === undefined) return undefined;
  if (parts.length === 4 && scanHex(parts[3], 0, parts[3].length) < 0) return undefined;
  if (parts.length === 4 && parts[3].length !== 16) return undefined;
  return { traceId, spanId, sampled, format: 'b3' };
}

/** The decision of a sampling-only `b3` value (`0`, `1`, `d`); undefined for anything else. */
export function parseB3Sampling(value: unknown): boolean | undefined {
  return typeof value === 'string' && value.length <= 4 ? singleSampling(trimOws(value)) : undefined;
}

/** `X-B3-Sampled` / `X-B3-Flags` (debug implies sampled): true, false, undefined when absent, null when invalid. */
export function multiSampling(sampled: string | undefined, flags: string | undefined): boolean | undefined | null {
  if (flags !== undefined && trimOws(flags) !== '1') return null;
  let decision: boolean | undefined;
  if (sampled !== undefined) {
    const s = trimOws(sampled);
    if (s === '1' || s === 'true') decision = true;
    else if (s === '0' || s === 'false') decision = false;
    else return null;
  }
  return flags !== undefined ? true : decision;
}

/** The multi-header form, given each header's single value (undefined when absent). */
export function parseB3Multi(
  traceIdValue: string | undefined,
  spanIdValue: string | undefined,
  sampledValue: string | undefined,
  flagsValue: string | undefined,
): TraceContext | undefined {
  if (traceIdValue === undefined || spanIdValue === undefined) return undefined;
  if (traceIdValue.length > 64 || spanIdValue.length > 64) return undefined;
  const traceId = b3TraceId(trimOws(traceIdValue));
  const spanId = b3SpanId(trimOws(spanIdValue));
  const sampled = multiSampling(sampledValue, flagsValue);
  if (!traceId || !spanId || sampled === null) return undefined;
  return { traceId, spanId, sampled: sampled ?? true, format: 'b3multi' };
}

export function formatB3Single(ctx: TraceContext): string {
  return `${ctx.traceId}-${ctx.spanId}-${ctx.sampled === true ? '1' : '0'}`;
}
