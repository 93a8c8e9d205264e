/**
 * The tags a server span gets from its request: the URL without credentials or query secrets, the peer address,
 * and the attributes the user asked for. Nothing here throws: a request with a broken Host header or a getter
 * that throws still gets the tags that could be read.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { Tags } from 'opentracing';

/** Tag keys of server spans beyond OpenTracing's standard ones. */
export const SERVER_TAG = {
  /** The route template the framework matched, e.g. `/users/:id`. */
  route: 'http.route',
  /** True when the client went away before the response was finished. */
  aborted: 'http.aborted',
} as const;

export const REDACTED = 'REDACTED';

/**
 * Query keys, header names and attribute names whose values are never recorded. `baggage` among them: its members
 * reach every downstream service and often carry user ids or tokens.
 */
const SECRET = /pass|secret|token|key|auth|sig|credential|session|cookie|baggage/i;

/** Keeps the query's keys and redacts the values of secret-looking ones; `search` may start with `?`. */
export function redactQuery(search: string): string {
  const params = new URLSearchParams(search);
  for (const key of new Set(params.keys())) {
    if (SECRET.test(key)) params.set(key, REDACTED);
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * `http.url` of a request: scheme, host and path, never user:password. The query is left out (`drop`) or
 * kept with secret values redacted (`redact`). `undefined` when the request line is not a URL at all.
 */
export function requestUrl(req: IncomingMessage, rawUrl: string, query: 'drop' | 'redact'): string | undefined {
  const scheme = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
  const host = typeof req.headers.host === 'string' && req.headers.host !== '' ? req.headers.host : 'localhost';
  let url: URL;
  try {
    // Origin-form (`/path`) is appended, so `//other/x` stays a path; absolute-form (`http://h/x`) is parsed as is.
    url = new URL(rawUrl.startsWith('/') ? `${scheme}://${host}${rawUrl}` : rawUrl);
  } catch {
    try {
      url = new URL(rawUrl.startsWith('/') ? `${scheme}://localhost${rawUrl}` : rawUrl);
    } catch {
      return undefined;
    }
  }
  const base = `${url.protocol}//${url.host}${url.pathname}`;
  return query === 'redact' && url.search !== '' ? base + redactQuery(url.search) : base;
}

/** The path of a request URL, without query or fragment (what `excludedPaths` is matched against). */
export function pathOf(rawUrl: string): string {
  const end = rawUrl.search(/[?#]/);
  const path = end === -1 ? rawUrl : rawUrl.slice(0, end);
  if (path.startsWith('/')) return path;
  try {
    return new URL(path).pathname;
  } catch {
    return path;
  }
}

/** `peer.ipv4` or `peer.ipv6` (IPv4-mapped IPv6 counts as IPv4) and `peer.port`. */
export function peerTags(req: IncomingMessage, tags: Record<string, unknown>): void {
  const socket = req.socket;
  if (!socket) return;
  let address = socket.remoteAddress;
  if (typeof address === 'string' && address.startsWith('::ffff:') && isIPv4(address.slice(7))) address = address.slice(7);
  if (typeof address === 'string') {
    if (isIPv4(address)) tags[Tags.PEER_HOST_IPV4] = address;
    else if (isIPv6(address)) tags[Tags.PEER_HOST_IPV6] = address;
  }
  if (typeof socket.remotePort === 'number') tags[Tags.PEER_PORT] = socket.remotePort;
}

/** Values read from the raw request when the framework's request object has no such property. */
const FALLBACKS: Record<string, (req: IncomingMessage) => unknown> = {
  path: (req) => (typeof req.url === 'string' ? pathOf(req.url) : undefined),
  ip: (req) => req.socket?.remoteAddress,
};

const LIMIT = 256;

function bounded(text: string): string {
  return text.length > LIMIT ? `${text.slice(0, LIMIT)}…` : text;
}

/**
 * JSON with the values of secret-looking keys (headers `authorization`, `cookie`, query `token`, ...) redacted,
 * in objects and in flat name/value lists such as `rawHeaders`.
 */
function describe(value: object): string {
  const redact = (key: string, v: unknown): unknown => {
    if (key !== '' && SECRET.test(key)) return REDACTED;
    if (!Array.isArray(v)) return v;
    return v.map((item, i) => (i > 0 && typeof v[i - 1] === 'string' && SECRET.test(v[i - 1]) ? REDACTED : item));
  };
  try {
    const text = JSON.stringify(value, redact);
    return text === undefined ? Object.prototype.toString.call(value) : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A tag value for attribute `name`: primitives as they are, URLs without their query secrets, objects as redacted JSON. */
function attributeValue(name: string, value: unknown, query: 'drop' | 'redact'): string | number | boolean | undefined {
  if (SECRET.test(name)) return REDACTED;
  switch (typeof value) {
    case 'string': {
      const at = value.indexOf('?');
      if (/^(search|querystring)$/i.test(name)) return bounded(redactQuery(value));
      if (at !== -1 && /url|href|path/i.test(name)) {
        return bounded(query === 'drop' ? value.slice(0, at) : value.slice(0, at) + redactQuery(value.slice(at)));
      }
      return bounded(value);
    }
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null ? undefined : bounded(describe(value));
    default:
      return undefined;
  }
}

/** Reads each attribute from `request` (falling back to the raw request for `path` and `ip`) into `tags`. */
export function attributeTags(
  request: unknown,
  req: IncomingMessage,
  names: readonly string[],
  query: 'drop' | 'redact',
  tags: Record<string, unknown>,
): void {
  for (const name of names) {
    let value: unknown;
    try {
      value = (request as Record<string, unknown>)[name];
      if (value === undefined && FALLBACKS[name]) value = FALLBACKS[name](req);
    } catch {
      continue; // a throwing getter (express's `req.host` on a bad Host header): leave the tag out
    }
    const tag = attributeValue(name, value, query);
    if (tag !== undefined) tags[name] = tag;
  }
}
