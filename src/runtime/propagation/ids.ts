/**
 * Trace and span ids: random, lowercase hex, never all zero. Random bytes are drawn from a pooled buffer
 * refilled with `crypto.randomFillSync` and hex-encoded once per refill, so an id costs a slice of a string
 * (V8 shares the characters with the pool's string) instead of a syscall or an encoding call: about 3× cheaper
 * than `buffer.toString('hex', start, end)` per id. A live id keeps its pool's 8 KB string alive, about what the
 * ids of the ~170 spans drawn from it would take as strings of their own.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let hexPool = '';
let offset = POOL_BYTES;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    hexPool = pool.toString('hex');
    offset = 0;
  }
  const hex = hexPool.slice(offset * 2, (offset + bytes) * 2);
  offset += bytes;
  return hex;
}

export const ZERO_TRACE_ID = '00000000000000000000000000000000';
export const ZERO_SPAN_ID = '0000000000000000';

/** 32 lowercase hex characters (128 random bits), never all zero. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE_ID) id = randomHex(16);
  return id;
}

/** 16 lowercase hex characters (64 random bits), never all zero. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN_ID) id = randomHex(8);
  return id;
}

/**
 * Checks `s[start, end)` for hex digits: returns 1 when valid and not all zero, 0 when valid and all zero,
 * -1 when any character is not hex (uppercase accepted only with `upper`).
 */
export function scanHex(s: string, start: number, end: number, upper = false): -1 | 0 | 1 {
  let nonZero = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (c !== 0x30) nonZero = true;
    } else if ((c >= 0x61 && c <= 0x66) || (upper && c >= 0x41 && c <= 0x46)) {
      nonZero = true;
    } else {
      return -1;
    }
  }
  return nonZero ? 1 : 0;
}

/** A valid W3C trace id: 32 lowercase hex, not all zero. */
export function isTraceId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 32 && scanHex(id, 0, 32) === 1;
}

/** A valid W3C span id: 16 lowercase hex, not all zero. */
export function isSpanId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 16 && scanHex(id, 0, 16) === 1;
}

/**
 * Normalises a hex id of 1..`width` digits (any case) to `width` lowercase digits, left-padded with zeros, as
 * B3 (64-bit trace ids) and Jaeger (leading zeros dropped) send them. Returns undefined when not hex, too long,
 * or all zero.
 */
export function padHexId(id: string, width: number): string | undefined {
  if (id.length === 0 || id.length > width || scanHex(id, 0, id.length, true) !== 1) return undefined;
  const lower = id.toLowerCase();
  return lower.length === width ? lower : ZERO_TRACE_ID.slice(0, width - lower.length) + lower;
}
