/**
 * W3C Baggage: `key=value;property, key2=value2`. Keys are RFC 7230 tokens, values are baggage-octets,
 * percent-decoded as UTF-8 with U+FFFD for bad sequences. Malformed members are dropped and the valid ones kept;
 * properties are checked, then not kept (the context holds values only). When a key repeats, the last wins.
 *
 * Limits (on the combination of every `baggage` header, joined in order with `,`): only members that end within
 * the first 8192 characters are read, so a longer header is cut by whole members and read in bounded time; at
 * most 64 members are kept, the first ones. The result is a frozen null-prototype object, so keys such as
 * `__proto__` or `constructor` are plain entries and never reach `Object.prototype`.
 */
import { isOws, isToken, percentDecode, percentEncode, trimOws } from './text';

export const BAGGAGE = 'baggage';
export const MAX_BAGGAGE_MEMBERS = 64;
export const MAX_BAGGAGE_BYTES = 8192;

/** baggage-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E (printable ASCII but `"` `,` `;` `\`). */
function isBaggageOctet(c: number): boolean {
  return c >= 0x21 && c <= 0x7e && c !== 0x22 && c !== 0x2c && c !== 0x3b && c !== 0x5c;
}

function isBaggageValue(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isBaggageOctet(s.charCodeAt(i))) return false;
  return true;
}

/** `key=value` or `key` (a property); OWS around `=` allowed. */
function isProperty(s: string): boolean {
  const eq = s.indexOf('=');
  if (eq === -1) return isToken(s);
  const value = trimOws(s, eq + 1);
  return isToken(trimOws(s, 0, eq)) && isBaggageValue(value, 0, value.length);
}

/** One list member (OWS already trimmed) as `[key, decoded value]`, or undefined when malformed. */
function parseMember(s: string): readonly [string, string] | undefined {
  const semi = s.indexOf(';');
  const head = semi === -1 ? s : s.slice(0, semi);
  const eq = head.indexOf('=');
  if (eq === -1) return undefined;
  const key = trimOws(head, 0, eq);
  const value = trimOws(head, eq + 1);
  if (!isToken(key) || !isBaggageValue(value, 0, value.length)) return undefined;
  if (semi !== -1) {
    for (const property of s.slice(semi + 1).split(';')) {
      const p = trimOws(property);
      if (p.length && !isProperty(p)) return undefined;
    }
  }
  return [key, percentDecode(value)];
}

/** Entries of one value or several header lines, in order, within the limits above. */
export function parseBaggageEntries(input: unknown): Array<readonly [string, string]> {
  const values = typeof input === 'string' ? [input] : input;
  const entries: Array<readonly [string, string]> = [];
  if (!Array.isArray(values)) return entries;
  let combined = '';
  for (const v of values) {
    if (typeof v !== 'string') return entries;
    combined += (combined ? ',' : '') + v;
    if (combined.length > MAX_BAGGAGE_BYTES) break;
  }
  // A member cut by the byte limit is dropped whole: read only up to the last comma before the limit.
  const end = combined.length <= MAX_BAGGAGE_BYTES ? combined.length : combined.lastIndexOf(',', MAX_BAGGAGE_BYTES);
  let start = 0;
  while (start < end && entries.length < MAX_BAGGAGE_MEMBERS) {
    let stop = combined.indexOf(',', start);
    if (stop === -1 || stop > end) stop = end;
    let a = start;
    let b = stop;
    while (a < b && isOws(combined.charCodeAt(a))) a++;
    while (b > a && isOws(combined.charCodeAt(b - 1))) b--;
    const entry = a < b ? parseMember(combined.slice(a, b)) : undefined;
    if (entry) entries.push(entry);
    start = stop + 1;
  }
  return entries;
}

/** Builds the frozen null-prototype baggage object; undefined when there is nothing in it. */
function toBaggage(entries: Iterable<readonly [string, string]>): Readonly<Record<string, string>> | undefined {
  const bag: Record<string, string> = Object.create(null);
  let any = false;
  for (const [key, value] of entries) {
    bag[key] = value;
    any = true;
  }
  return any ? Object.freeze(bag) : undefined;
}

/** Baggage items from one `baggage` value or several header lines; undefined when none is valid. */
export function parseBaggage(input: unknown): Readonly<Record<string, string>> | undefined {
  return toBaggage(parseBaggageEntries(input));
}

/** What a baggage value keeps unencoded: baggage-octets except `%`, so decoding gives the value back. */
const keepInValue = (c: number) => isBaggageOctet(c) && c !== 0x25;

/**
 * The `baggage` header for `items`: keys that are not tokens and values that are not strings are skipped,
 * values are percent-encoded (so CR/LF, NUL, `,`, `;` and non-ASCII never reach the header), and members
 * beyond 64 or 8192 bytes are dropped whole. Undefined when nothing is left.
 */
export function formatBaggage(items: unknown): string | undefined {
  if (items === null || typeof items !== 'object') return undefined;
  let out = '';
  let count = 0;
  for (const key of Object.keys(items)) {
    let value: unknown;
    try {
      value = (items as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    if (typeof value !== 'string' || !isToken(key)) continue;
    const member = `${key}=${percentEncode(value, keepInValue)}`;
    if (out.length + (out ? 1 : 0) + member.length > MAX_BAGGAGE_BYTES) break;
    out += (out ? ',' : '') + member;
    if (++count === MAX_BAGGAGE_MEMBERS) break;
  }
  return out || undefined;
}
