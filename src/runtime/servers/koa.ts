/**
 * `ts-traced/koa`: `app.use(koaTracing(options))` first. Koa hands every downstream error back up the
 * middleware chain, so this middleware sees it, tags it, and rethrows the very same error for koa's own error
 * handling. The span is named by @koa/router's matched route (`ctx._matchedRoute`, prefixes included).
 * The types below are structural: no koa types are needed to use or build this module.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  rememberSettings,
  requestSpanOf,
  resolveOptions,
  settingsOf,
  startRequestSpan,
  type RequestSpan,
  type ServerSettings,
  type ServerTracingOptions,
} from './request-span';

export { getSpan } from './request-span';

/** What the middleware reads from koa's context. */
export interface KoaContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly originalUrl?: string;
  /** Set by @koa/router to the matched layer's path. */
  readonly _matchedRoute?: unknown;
}

export type KoaTracingOptions = ServerTracingOptions<KoaContext>;
type Next = () => Promise<unknown>;
export type KoaMiddleware = (ctx: KoaContext, next: Next) => Promise<unknown>;

function start(ctx: KoaContext, settings: ServerSettings<KoaContext>, attributes?: readonly string[]) {
  return startRequestSpan(
    { req: ctx.req, res: ctx.res, request: ctx, url: ctx.originalUrl, route: () => ctx._matchedRoute, attributes },
    settings,
  );
}

/** Runs the rest of the chain with the span active; a rejection is tagged and passed on unchanged. */
function runDownstream(requestSpan: RequestSpan, next: Next): Promise<unknown> {
  let result: Promise<unknown>;
  try {
    result = requestSpan.run(next);
  } catch (error) {
    requestSpan.fail(error);
    throw error;
  }
  return result.then(undefined, (error: unknown) => {
    requestSpan.fail(error);
    throw error;
  });
}

/** The app-level middleware: one span per request (unless `traceAll: false`), active downstream. */
export function koaTracing(options?: KoaTracingOptions): KoaMiddleware {
  const settings = resolveOptions(options, 'koaTracing', 'koa');
  return function koaTracing(ctx, next) {
    rememberSettings(ctx.req, settings);
    const requestSpan = settings.traceAll ? start(ctx, settings) : undefined;
    return requestSpan === undefined ? next() : runDownstream(requestSpan, next);
  };
}

/**
 * A router middleware marking a route as traced when the app uses `traceAll: false`
 * (`router.get('/users/:id', traceRoute(['path']), handler)`), with `attributes` recorded in addition to the
 * app's `tracedAttributes`. On an already traced request it only adds the attributes.
 */
export function traceRoute(attributes: readonly string[] = []): KoaMiddleware {
  const own = Array.isArray(attributes) ? attributes.filter((a) => typeof a === 'string') : [];
  const defaults = resolveOptions(undefined, 'traceRoute', 'koa');
  return function traceRoute(ctx, next) {
    const existing = requestSpanOf(ctx.req);
    if (existing !== undefined) {
      if (own.length) existing.addAttributes(own);
      return next();
    }
    const requestSpan = start(ctx, settingsOf(ctx.req) ?? defaults, own);
    return requestSpan === undefined ? next() : runDownstream(requestSpan, next);
  };
}
