/**
 * W3C `tracestate`, read strictly (the W3C test suite at STRICT_LEVEL=2): the whole header is discarded when any
 * member is malformed, a key or value breaks the grammar or its length limits, there are more than 32 members,
 * or a key repeats. Several header lines are one list, combined in order; empty members and OWS are ignored.
 *
 *   key   = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")
 *         / (lcalpha / DIGIT) 0*240(...) "@" lcalpha 0*13(...)        (tenant@system)
 *   value = 0*255(chr) nblk-chr,  chr = %x20 / nblk-chr,  nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
 */
import { isOws } from './text';

/** Members a tracestate may hold. */
export const MAX_TRACESTATE_MEMBERS = 32;
/**
 * Combined input longer than this is discarded unread: the longest valid list (32 members of 513 characters
 * plus commas) is about 16.4 KiB, so 32 KiB leaves room for OWS and empty members while bounding the work.
 */
export const MAX_TRACESTATE_INPUT = 32 * 1024;
/** Outgoing tracestate is cut to this many characters (by whole members), as the spec recommends propagating. */
export const MAX_TRACESTATE_OUTPUT = 512;
/** When cutting, members longer than this go first. */
const LONG_MEMBER = 128;

const isLcAlpha = (c: number) => c >= 0x61 && c <= 0x7a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** lcalpha / DIGIT / "_" / "-" / "*" / "/" */
const isKeyChar = (c: number) => isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2a || c === 0x2f;

function keyCharsFrom(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isKeyChar(s.charCodeAt(i))) return false;
  return true;
}

/** A tracestate key: simple (at most 256 chars) or `tenant@system` (at most 241 + 1 + 14). */
export function isTracestateKey(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > 256) return false;
  const at = key.indexOf('@');
  if (at === -1) return isLcAlpha(key.charCodeAt(0)) && keyCharsFrom(key, 1, n);
  if (at === 0 || at > 241 || n - at - 1 < 1 || n - at - 1 > 14) return false;
  const first = key.charCodeAt(0);
  if (!(isLcAlpha(first) || isDigit(first)) || !keyCharsFrom(key, 1, at)) return false;
  return isLcAlpha(key.charCodeAt(at + 1)) && keyCharsFrom(key, at + 2, n);
}

/** A tracestate value: 1 to 256 printable ASCII characters without `,` or `=`, not ending in a space. */
export function isTracestateValue(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > 256 || value.charCodeAt(n - 1) === 0x20) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x2c || c === 0x3d) return false;
  }
  return true;
}

/**
 * The members of a tracestate given as one value or several header lines, in order; undefined when the whole
 * header must be discarded (see above) or holds no member.
 */
export function parseTracestateMembers(input: unknown): Array<readonly [string, string]> | undefined {
  const values = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(values)) return undefined;
  let total = 0;
  for (const v of values) {
    if (typeof v !== 'string') return undefined;
    total += v.length + 1;
    if (total > MAX_TRACESTATE_INPUT) return undefined;
  }
  const members: Array<readonly [string, string]> = [];
  const keys = new Set<string>();
  for (const v of values as readonly string[]) {
    let start = 0;
    while (start <= v.length) {
      let end = v.indexOf(',', start);
      if (end === -1) end = v.length;
      let a = start;
      let b = end;
      while (a < b && isOws(v.charCodeAt(a))) a++;
      while (b > a && isOws(v.charCodeAt(b - 1))) b--;
      if (a < b) {
        const eq = v.indexOf('=', a);
        if (eq === -1 || eq >= b) return undefined;
        const key = v.slice(a, eq);
        const value = v.slice(eq + 1, b);
        if (!isTracestateKey(key) || !isTracestateValue(value) || keys.has(key)) return undefined;
        if (members.length === MAX_TRACESTATE_MEMBERS) return undefined;
        keys.add(key);
        members.push([key, value]);
      }
      start = end + 1;
    }
  }
  return members.length ? members : undefined;
}

/** The normalised tracestate (`k=v,k=v`, no OWS) of one value or several header lines; undefined when invalid. */
export function parseTracestate(input: unknown): string | undefined {
  const members = parseTracestateMembers(input);
  return members && members.map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * The tracestate to send: `value` validated again (an invalid one is dropped, so no CR/LF or non-ASCII can
 * reach a header) and cut to 512 characters by whole members, members over 128 characters removed first
 * (right-most first), then members from the right.
 */
export function formatTracestate(value: unknown): string | undefined {
  const members = parseTracestateMembers(value)?.map(([k, v]) => `${k}=${v}`);
  if (!members) return undefined;
  let length = members.reduce((n, m) => n + m.length, members.length - 1);
  for (let i = members.length - 1; i >= 0 && length > MAX_TRACESTATE_OUTPUT; i--) {
    if (members[i].length <= LONG_MEMBER) continue;
    length -= members[i].length + 1;
    members.splice(i, 1);
  }
  while (length > MAX_TRACESTATE_OUTPUT && members.length) length -= members.pop()!.length + 1;
  return members.length ? members.join(',') : undefined;
}
