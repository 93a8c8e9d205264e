/**
 * Which request has which span, and which app settings. Kept on Node's request itself, under symbol properties
 * as Node keeps its own (JSON, `Object.keys` and `for…in` do not see them), so an entry goes with its request; the
 * symbols are registered (`Symbol.for`), so two loaded copies of the package (ESM and CJS, two versions) see the
 * same requests. Not a WeakMap keyed by the request: each entry of one is an ephemeron that young-generation
 * collections have to process, which under load cost about a quarter more CPU per request and some 90 MB more RSS
 * on Node 24 (bench/http.ts); and a plain assignment, as `defineProperty` cost ~2 µs a request. A request that
 * cannot take a property (frozen, or a Proxy that refuses) goes to such a WeakMap instead, kept on globalThis for
 * the same reason.
 */
import type { IncomingMessage } from 'node:http';
import type { Span } from 'opentracing';
import type { ServerSettings } from './options';

/** What is kept per request: the request span (its class lives in request-span.ts). */
export interface Registered {
  readonly span: Span;
}

interface Registry {
  readonly spans: WeakMap<object, Registered>;
  readonly settings: WeakMap<object, ServerSettings<any>>;
}

const SPAN = Symbol.for('ts-traced.servers.span.v1');
const SETTINGS = Symbol.for('ts-traced.servers.settings.v1');
const KEY = Symbol.for('ts-traced.servers.requests.v1');
const holder = globalThis as typeof globalThis & { [KEY]?: Registry };
const fallback: Registry = (holder[KEY] ??= { spans: new WeakMap(), settings: new WeakMap() });

function put<V>(req: object, key: symbol, map: WeakMap<object, V>, value: V): void {
  try {
    if (Object.isExtensible(req)) {
      (req as Record<symbol, V>)[key] = value;
      if ((req as Record<symbol, V>)[key] === value) return;
    }
  } catch {
    // a Proxy whose trap throws
  }
  map.set(req, value);
}

/** `undefined` for anything that is not an object (a hand-made context may have no request at all). */
function read<V>(req: unknown, key: symbol, map: WeakMap<object, V>): V | undefined {
  if (typeof req !== 'object' || req === null) return undefined;
  const own = (req as Record<symbol, V | undefined>)[key];
  return own !== undefined ? own : map.get(req);
}

export function register(req: IncomingMessage, entry: Registered): void {
  put(req, SPAN, fallback.spans, entry);
}

export function registered(req: IncomingMessage): Registered | undefined {
  return read(req, SPAN, fallback.spans);
}

/** Remembers the app-level settings for a request, so a route-level `traceRoute` uses the same tracer and hooks. */
export function rememberSettings(req: IncomingMessage, settings: ServerSettings<any>): void {
  if (typeof req === 'object' && req !== null) put(req, SETTINGS, fallback.settings, settings);
}

export function settingsOf(req: IncomingMessage): ServerSettings<any> | undefined {
  return read(req, SETTINGS, fallback.settings);
}

/**
 * The server span of a request: `getSpan(req)` with Node's or express's request, koa's `ctx`, or fastify's
 * `request`. `undefined` when the request is not traced.
 */
export function getSpan(request: object): Span | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  try {
    const entryOf = (value: unknown) => read(value, SPAN, fallback.spans);
    const found = entryOf(request) ?? entryOf((request as { raw?: unknown }).raw) ?? entryOf((request as { req?: unknown }).req);
    return found?.span;
  } catch {
    return undefined; // a Proxy or a throwing getter
  }
}
