/**
 * Character-level helpers the header parsers share: OWS trimming, RFC 7230 tokens, percent-coding that never
 * throws (unlike `decodeURIComponent` on `%ZZ` or `encodeURIComponent` on a lone surrogate).
 */

/** SP or HTAB: the only whitespace HTTP allows around header values and list members (OWS). */
export function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** `s[start, end)` without leading and trailing OWS. */
export function trimOws(s: string, start = 0, end = s.length): string {
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** RFC 7230 tchar: ``!#$%&'*+-.^_`|~``, digits, letters. */
function isTchar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a: case 0x2b:
    case 0x2d: case 0x2e: case 0x5e: case 0x5f: case 0x60: case 0x7c: case 0x7e:
      return true;
    default:
      return false;
  }
}

/** A non-empty RFC 7230 token (header names, baggage keys). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Percent-decodes `s` as UTF-8. Byte sequences that are not UTF-8 become U+FFFD (as the W3C Baggage spec asks).
 * A `%` not followed by two hex digits becomes U+FFFD too (the characters after it are kept), or, with
 * `strict`, makes the result undefined. Never throws.
 */
export function percentDecode(s: string, strict?: false): string;
export function percentDecode(s: string, strict: boolean): string | undefined;
export function percentDecode(s: string, strict = false): string | undefined {
  if (s.indexOf('%') === -1) return s;
  // No character takes more than 3 bytes (a surrogate pair takes 4 for 2 characters; a bad `%` takes U+FFFD's 3).
  const bytes = Buffer.allocUnsafe(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hi = i + 2 < s.length ? hexValue(s.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(s.charCodeAt(i + 2)) : -1;
      if (lo >= 0) {
        bytes[n++] = hi * 16 + lo;
        i += 2;
      } else if (strict) {
        return undefined;
      } else {
        n += bytes.write('\uFFFD', n, 'utf8');
      }
    } else if (c <= 0xff) {
      // Header strings reach us latin1-decoded: a char up to 0xff stands for one raw byte.
      bytes[n++] = c;
    } else {
      // Only a record built in JS holds wider characters: take them as text (a lone surrogate becomes U+FFFD).
      const cp = s.codePointAt(i)!;
      n += bytes.write(String.fromCodePoint(cp), n, 'utf8');
      if (cp > 0xffff) i++;
    }
  }
  return bytes.toString('utf8', 0, n);
}

/**
 * Percent-encodes `s` as UTF-8, leaving alone the ASCII characters `keep(c)` allows. Lone surrogates become
 * U+FFFD instead of throwing. The result is printable ASCII: safe in any header value.
 */
export function percentEncode(s: string, keep: (c: number) => boolean): string {
  let i = 0;
  while (i < s.length && keep(s.charCodeAt(i))) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (const byte of Buffer.from(s.slice(i), 'utf8')) {
    out += byte < 0x80 && keep(byte) ? String.fromCharCode(byte) : `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}
