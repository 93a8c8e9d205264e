/**
 * `ts-traced/express`: express 4 and 5. `app.use(tracingMiddleware(options))` first, before the routes; the
 * span is named by the matched route (`baseUrl` + `req.route.path`) when the response ends. Express keeps a
 * thrown error to its own error chain, so `app.use(tracingErrorHandler())` after the routes adds the error
 * itself to the span (without it a failed request still shows as `error` through its 5xx status).
 * The types below are structural: no express types are needed to use or build this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  pathOf,
  rememberSettings,
  requestSpanOf,
  resolveOptions,
  settingsOf,
  startRequestSpan,
  type ServerSettings,
  type ServerTracingOptions,
} from './request-span';

export { getSpan } from './request-span';

/** What the middleware reads from express's request (express 4 and 5 both have these). */
export interface ExpressRequest extends IncomingMessage {
  readonly originalUrl?: string;
  readonly baseUrl?: string;
  readonly route?: { readonly path?: unknown };
}

export type ExpressTracingOptions = ServerTracingOptions<ExpressRequest>;
type Next = (error?: any) => void;
export type ExpressMiddleware = (req: ExpressRequest, res: ServerResponse, next: Next) => void;
export type ExpressErrorMiddleware = (error: unknown, req: ExpressRequest, res: ServerResponse, next: Next) => void;

/**
 * `baseUrl` + the route's path, once a route matched: `/api` + `/users/:id`. An error passed out of a mounted
 * router has had `baseUrl` restored to the parent's by the time the response ends; the mount prefix is then what
 * the URL's path has before the route's own segments (for plain templates: no wildcard, optional or RegExp part).
 */
function routeOf(req: ExpressRequest): string | undefined {
  const path = req.route?.path;
  if (path === undefined || path === null) return undefined;
  const text = String(path);
  const base = typeof req.baseUrl === 'string' && req.baseUrl !== '' ? req.baseUrl : mountPrefix(req, path);
  return base !== '' && text === '/' ? base : base + text;
}

function mountPrefix(req: ExpressRequest, route: unknown): string {
  if (typeof route !== 'string' || /[*?{}()]/.test(route) || typeof req.originalUrl !== 'string') return '';
  const own = route.split('/').filter(Boolean).length;
  const segments = pathOf(req.originalUrl).replace(/\/$/, '').split('/');
  return segments.slice(0, Math.max(1, segments.length - own)).join('/');
}

function start(req: ExpressRequest, res: ServerResponse, settings: ServerSettings<ExpressRequest>, attributes?: readonly string[]) {
  return startRequestSpan(
    { req, res, request: req, url: req.originalUrl, route: () => routeOf(req), attributes },
    settings,
  );
}

/**
 * The app-level middleware: one span per request (unless `traceAll: false`), active in every later middleware
 * and handler and in everything they call.
 */
export function tracingMiddleware(options?: ExpressTracingOptions): ExpressMiddleware {
  const settings = resolveOptions(options, 'tracingMiddleware', 'express');
  return function tracingMiddleware(req, res, next) {
    rememberSettings(req, settings);
    const requestSpan = settings.traceAll ? start(req, res, settings) : undefined;
    if (requestSpan === undefined) return next();
    requestSpan.run(next);
  };
}

/**
 * A route middleware marking a route as traced when the app uses `traceAll: false`
 * (`app.get('/users/:id', traceRoute(['params']), handler)`), with `attributes` recorded in addition to the
 * app's `tracedAttributes`. On an already traced request it only adds the attributes. Uses the options of the
 * app's `tracingMiddleware`, or the defaults when there is none.
 */
export function traceRoute(attributes: readonly string[] = []): ExpressMiddleware {
  const own = Array.isArray(attributes) ? attributes.filter((a) => typeof a === 'string') : [];
  const defaults = resolveOptions(undefined, 'traceRoute', 'express');
  return function traceRoute(req, res, next) {
    const existing = requestSpanOf(req);
    if (existing !== undefined) {
      if (own.length) existing.addAttributes(own);
      return next();
    }
    const requestSpan = start(req, res, settingsOf(req) ?? defaults, own);
    if (requestSpan === undefined) return next();
    requestSpan.run(next);
  };
}

/**
 * An error middleware, added after the routes: tags the request span with the error (per OpenTracing
 * conventions; an error with a 4xx `status` is the client's and is not tagged), then passes the very same
 * error on, so express's own error handling and response are unchanged.
 */
export function tracingErrorHandler(): ExpressErrorMiddleware {
  return function tracingErrorHandler(error, req, _res, next) {
    requestSpanOf(req)?.fail(error);
    next(error);
  };
}
