/**
 * `node:http` servers. `traceHandler` wraps a request listener: one span per request, active in the handler,
 * finished when the response ends or the client goes away. `beforeRequest` only starts the span, for code that
 * activates and finishes it itself (python-instrumentation's `before_request`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import opentracing = require('opentracing');
import type { Span, Tracer } from 'opentracing';
import { resolveOptions, startRequestSpan, type ServerTracingOptions } from './request-span';

export interface HttpTracingOptions extends ServerTracingOptions<IncomingMessage> {
  /**
   * The route template this handler serves, e.g. `/users/:id`, so spans are named `GET /users/:id`. Without it
   * they are named by the method alone: a raw path would give one span name per user, order or token.
   */
  readonly route?: string;
}

type RequestListener = (this: any, req: IncomingMessage, res: ServerResponse, ...rest: any[]) => unknown;

/**
 * Wraps a `(req, res) => void` request listener (`http.createServer(traceHandler(handler))`). The handler's
 * `this`, arguments and return value are passed through; a synchronous throw is tagged on the span and rethrown.
 * A returned promise is not followed (following it would mark a rejection handled that crashes the untraced
 * server): an async handler's failures show as the status it sends. `traceAll` does not apply: the wrapper marks
 * the routes it wraps.
 */
export function traceHandler<H extends RequestListener>(handler: H, options?: HttpTracingOptions): H {
  const settings = resolveOptions(options, 'traceHandler', 'http', ['route']);
  const given = options?.route;
  const route = typeof given === 'string' && given !== '' ? () => given : undefined;
  const traced = function (this: unknown, req: IncomingMessage, res: ServerResponse) {
    const requestSpan = startRequestSpan({ req, res, request: req, route }, settings);
    if (requestSpan === undefined) return Reflect.apply(handler, this, arguments);
    try {
      return requestSpan.run(Reflect.apply, handler, this, arguments);
    } catch (error) {
      requestSpan.fail(error);
      throw error;
    }
  };
  Object.defineProperty(traced, 'name', { value: handler.name, configurable: true });
  Object.defineProperty(traced, 'length', { value: handler.length, configurable: true });
  return traced as unknown as H;
}

const noopSpan = new opentracing.Span();

/**
 * Starts the server span of `req` (extracted parent, request tags) and returns it; `getSpan(req)` returns it too.
 * The caller activates it (`withSpan`) and finishes it. When nothing records, a no-op span is returned.
 */
export function beforeRequest(req: IncomingMessage, tracer?: Tracer): Span {
  const settings = resolveOptions(tracer === undefined ? undefined : { tracer }, 'beforeRequest', 'http');
  return startRequestSpan({ req, request: req }, settings)?.span ?? noopSpan;
}
