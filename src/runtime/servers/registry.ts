/**
 * Which request has which span, and which app settings: WeakMaps keyed by Node's request, so nothing is ever set
 * on the request and an entry goes with its request. Kept on globalThis, so that two loaded copies of the package
 * (ESM and CJS, two versions) see the same requests.
 */
import type { IncomingMessage } from 'node:http';
import type { Span } from 'opentracing';
import type { ServerSettings } from './options';

/** What is kept per request: the request span (its class lives in request-span.ts). */
export interface Registered {
  readonly span: Span;
}

interface Registry {
  readonly spans: WeakMap<IncomingMessage, Registered>;
  readonly settings: WeakMap<IncomingMessage, ServerSettings<any>>;
}

const KEY = Symbol.for('ts-traced.servers.requests.v1');
const holder = globalThis as typeof globalThis & { [KEY]?: Registry };
const registry: Registry = (holder[KEY] ??= { spans: new WeakMap(), settings: new WeakMap() });

export function register(req: IncomingMessage, entry: Registered): void {
  registry.spans.set(req, entry);
}

export function registered(req: IncomingMessage): Registered | undefined {
  return registry.spans.get(req);
}

/** Remembers the app-level settings for a request, so a route-level `traceRoute` uses the same tracer and hooks. */
export function rememberSettings(req: IncomingMessage, settings: ServerSettings<any>): void {
  if (typeof req === 'object' && req !== null) registry.settings.set(req, settings);
}

export function settingsOf(req: IncomingMessage): ServerSettings<any> | undefined {
  return registry.settings.get(req);
}

/**
 * The server span of a request: `getSpan(req)` with Node's or express's request, koa's `ctx`, or fastify's
 * `request`. `undefined` when the request is not traced.
 */
export function getSpan(request: object): Span | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  try {
    const found =
      registry.spans.get(request as IncomingMessage) ??
      registry.spans.get((request as { raw?: IncomingMessage }).raw as IncomingMessage) ??
      registry.spans.get((request as { req?: IncomingMessage }).req as IncomingMessage);
    return found?.span;
  } catch {
    return undefined; // a Proxy or a throwing getter
  }
}
