/**
 * One server span per incoming request, shared by every framework integration: extract the caller's context,
 * start the span with the request's tags, keep it active for the handler, name it by the route template when the
 * response ends, tag the status, and finish it exactly once, on `finish` or when the client goes away first.
 * Every call into the tracer and into user hooks is guarded: tracing never changes the response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import opentracing = require('opentracing');
import { FORMAT_HTTP_HEADERS, Tags, type Span, type SpanContext, type Tracer } from 'opentracing';
import { tagError } from '../errors';
import { reportFault, startSpanSafely } from '../safe';
import { withSpan } from '../scope';
import { isExcluded, resolveTracer, type ServerSettings } from './options';
import { register, registered } from './registry';
import { SERVER_TAG, attributeTags, pathOf, peerTags, requestUrl } from './request-tags';

export { resolveOptions, type ServerSettings, type ServerTracingOptions } from './options';
export { pathOf } from './request-tags';
export { getSpan, rememberSettings, settingsOf } from './registry';

/** What an integration tells the request span about one request. */
export interface RequestInfo<Req> {
  /** Node's request and response (express's are the same objects; koa's `ctx.req`, fastify's `request.raw`). */
  readonly req: IncomingMessage;
  /** Without a response the span is not finished here (`beforeRequest`: the caller finishes it). */
  readonly res?: ServerResponse;
  /** The framework's request, handed to `operationName`, `startSpanCallback` and read for `tracedAttributes`. */
  readonly request: Req;
  /** The URL as the client sent it (express: `originalUrl`, as a mounted middleware sees a shortened `url`). */
  readonly url?: string;
  /** The route template once the framework knows it; read when the response ends. */
  readonly route?: () => unknown;
  /** Attributes recorded in addition to the settings' ones (a route's `traceRoute(attributes)`). */
  readonly attributes?: readonly string[];
}

/** A thrown value carrying a 4xx `status`/`statusCode` (koa's `ctx.throw(404)`, fastify validation) is the client's error. */
function isClientError(error: unknown): boolean {
  try {
    const e = error as { status?: unknown; statusCode?: unknown };
    const status = typeof e.status === 'number' ? e.status : e.statusCode;
    return typeof status === 'number' && status >= 400 && status < 500;
  } catch {
    return false;
  }
}

export class RequestSpan {
  private ended = false;
  private failed = false;

  constructor(
    readonly span: Span,
    private readonly info: RequestInfo<any>,
    private readonly settings: ServerSettings<any>,
    private readonly method: string,
  ) {
    const res = info.res;
    if (res === undefined) return;
    res.once('finish', () => this.end(false));
    // `close` also follows a normal `finish`; before it, the client went away (or the server destroyed the socket).
    res.once('close', () => this.end(!res.writableFinished));
  }

  /** Runs `fn` with the span active, in it and in everything it schedules. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    return withSpan(this.span, fn, ...args);
  }

  /** Tags a thrown error (not a 4xx one) per OpenTracing conventions; only the first error of a request is logged. */
  fail(error: unknown): void {
    if (this.ended || this.failed || isClientError(error)) return;
    this.failed = true;
    tagError(this.span, error);
  }

  /** Records more request attributes as tags (`traceRoute(attributes)` on a request that is already traced). */
  addAttributes(names: readonly string[]): void {
    const tags: Record<string, unknown> = {};
    attributeTags(this.info.request, this.info.req, names, this.settings.urlQuery, tags);
    for (const key of Object.keys(tags)) this.setTag(key, tags[key]);
  }

  private setTag(key: string, value: unknown): void {
    try {
      this.span.setTag(key, value);
    } catch (error) {
      reportFault('span.setTag', error);
    }
  }

  private end(aborted: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const res = this.info.res!;
    const route = this.routeTemplate();
    if (route !== undefined) this.setTag(SERVER_TAG.route, route);
    this.rename(route);
    if (!aborted || res.headersSent) this.setTag(Tags.HTTP_STATUS_CODE, res.statusCode);
    if (aborted) {
      this.setTag(SERVER_TAG.aborted, true);
      this.markError('the connection closed before the response was finished');
    } else if (res.statusCode >= 500) {
      this.markError(`HTTP status ${res.statusCode}`);
    }
    try {
      this.span.finish();
    } catch (error) {
      reportFault('span.finish', error);
    }
  }

  private markError(message: string): void {
    if (this.failed) return;
    this.failed = true;
    try {
      this.span.setTag(Tags.ERROR, true);
      this.span.log({ event: 'error', message });
    } catch (error) {
      reportFault('span.log', error);
    }
  }

  private routeTemplate(): string | undefined {
    try {
      const route = this.info.route?.();
      return route === undefined || route === null || route === '' ? undefined : String(route);
    } catch {
      return undefined;
    }
  }

  /** `operationName(request)` if given and it returns a non-empty string, else `METHOD /route`, else `METHOD`. */
  private rename(route: string | undefined): void {
    let name = route === undefined ? this.method : `${this.method} ${route}`;
    const custom = this.settings.operationName;
    if (custom !== undefined) {
      try {
        const given = custom(this.info.request);
        if (typeof given === 'string' && given !== '') name = given;
      } catch (error) {
        reportFault('hook.operationName', error);
      }
    }
    if (name === this.method) return;
    try {
      this.span.setOperationName(name);
    } catch (error) {
      reportFault('span.setOperationName', error);
    }
  }
}

function extractParent(tracer: Tracer, req: IncomingMessage): SpanContext | undefined {
  try {
    const context = tracer.extract(FORMAT_HTTP_HEADERS, req.headers);
    return typeof context === 'object' && context !== null ? context : undefined;
  } catch (error) {
    reportFault('tracer.extract', error);
    return undefined;
  }
}

/** Starts the span, as a child of the extracted context; a context the tracer rejects starts a new trace instead. */
function startSpan(tracer: Tracer, name: string, parent: SpanContext | undefined, tags: Record<string, unknown>): Span | undefined {
  let span = startSpanSafely(tracer, name, parent === undefined ? { tags } : { childOf: parent, tags });
  if (span === undefined && parent !== undefined) span = startSpanSafely(tracer, name, { tags });
  // opentracing's no-op span: nothing records, so the request runs untouched and no context storage is enabled.
  if (span === undefined || Object.getPrototypeOf(span) === opentracing.Span.prototype) return undefined;
  return span;
}

/**
 * Starts the span of a request, or returns the one already started for it (two integrations on one request make
 * one span). `undefined` when the path is excluded, no tracer records, or the tracer failed.
 */
export function startRequestSpan<Req>(info: RequestInfo<Req>, settings: ServerSettings<Req>): RequestSpan | undefined {
  if (typeof info.req !== 'object' || info.req === null) return undefined; // a hand-made context without Node's request
  const existing = requestSpanOf(info.req);
  if (existing !== undefined) {
    if (info.attributes?.length) existing.addAttributes(info.attributes);
    return existing;
  }
  const rawUrl = typeof info.url === 'string' ? info.url : typeof info.req.url === 'string' ? info.req.url : '/';
  if (isExcluded(pathOf(rawUrl), settings.excludedPaths)) return undefined;
  const tracer = resolveTracer(settings);
  if (tracer === undefined) return undefined;
  const method = typeof info.req.method === 'string' ? info.req.method : 'HTTP';
  const tags: Record<string, unknown> = {
    [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_SERVER,
    [Tags.COMPONENT]: settings.component,
    [Tags.HTTP_METHOD]: method,
  };
  const url = requestUrl(info.req, rawUrl, settings.urlQuery);
  if (url !== undefined) tags[Tags.HTTP_URL] = url;
  peerTags(info.req, tags);
  const names = info.attributes?.length ? [...settings.attributes, ...info.attributes] : settings.attributes;
  attributeTags(info.request, info.req, names, settings.urlQuery, tags);
  const span = startSpan(tracer, method, extractParent(tracer, info.req), tags);
  if (span === undefined) return undefined;
  const requestSpan = new RequestSpan(span, info, settings, method);
  register(info.req, requestSpan);
  if (settings.startSpanCallback !== undefined) {
    try {
      settings.startSpanCallback(span, info.request);
    } catch (error) {
      reportFault('hook.startSpanCallback', error);
    }
  }
  return requestSpan;
}

/** The request span of `req` (Node's request), if one was started. */
export function requestSpanOf(req: IncomingMessage): RequestSpan | undefined {
  return registered(req) as RequestSpan | undefined;
}
