/**
 * What the http and fetch wrappers share: their options, the span name and tags of an outgoing request, and the
 * headers added to it. `http.url` is `scheme://host:port/path`: no credentials, no query, no fragment, whatever the
 * request carried (the server side records the same shape). Added headers are checked the way `http.request` and
 * undici check them, so a tracer or an option handing out a CR/LF never makes the host's request throw.
 */
import dc = require('node:diagnostics_channel');
import { Tags, type Span } from 'opentracing';
import type { ChildSpan, Tags as TagMap } from '../child-span';
import { reportFault } from '../safe';
import type { ClientOptions } from './install';

export interface HttpClientOptions<Req = unknown, Res = unknown> extends ClientOptions<Req, Res> {
  /** This service's name, sent in each of `callerNameHeaders` (python-instrumentation's `CONFIG.app_name`). */
  readonly serviceName?: string;
  /** Headers that tell the callee who calls, set to `serviceName` unless the request already has them. */
  readonly callerNameHeaders?: readonly string[];
  /**
   * Headers the caller sets to name the callee's endpoint (e.g. `X-Endpoint: getUser`): the first one present
   * names the span `GET:getUser` instead of `GET`.
   */
  readonly calleeEndpointHeaders?: readonly string[];
  /** Requests for which it returns true are neither traced nor given headers (health checks, the exporter). */
  readonly ignore?: (url: URL) => boolean;
}

export const HTTP_COMPONENT = { http: 'http', fetch: 'fetch' } as const;

/** A request as the wrappers see it, whichever library made it. */
export interface OutgoingRequest {
  readonly method: string;
  /** `http:` or `https:`. */
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
  /** Path with query, as sent. */
  readonly path: string;
}

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Splits a `Host`-style authority (`name`, `name:port`, `[v6]:port`); the port defaults by protocol. */
export function splitAuthority(authority: string, protocol: string): { hostname: string; port: number | undefined } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority);
  const hostname = match ? match[1] : authority;
  const port = match?.[2] !== undefined ? Number(match[2]) : DEFAULT_PORT[protocol];
  return { hostname, port };
}

/** `scheme://host:port/path`, the query and any credentials left out. */
export function safeUrl(request: OutgoingRequest): string {
  const query = request.path.search(/[?#]/);
  const path = query < 0 ? request.path : request.path.slice(0, query);
  const port = request.port === undefined ? '' : `:${request.port}`;
  return `${request.protocol}//${request.hostname}${port}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Runs the user's `ignore` on the request's full URL; a throw or an unparsable URL means "trace it". */
export function isIgnored(options: HttpClientOptions<any, any>, request: OutgoingRequest): boolean {
  if (options.ignore === undefined) return false;
  try {
    const port = request.port === undefined ? '' : `:${request.port}`;
    return options.ignore(new URL(request.path, `${request.protocol}//${request.hostname}${port}`)) === true;
  } catch (error) {
    reportFault('hook.ignore', error);
    return false;
  }
}

/** Span name (`GET`, or `GET:endpoint` from a callee-endpoint header) and the start tags of a client request. */
export function requestSpan(
  component: string,
  request: OutgoingRequest,
  options: HttpClientOptions<any, any>,
  header: (name: string) => string | undefined,
): { name: string; tags: TagMap } {
  let name = request.method;
  for (const key of options.calleeEndpointHeaders ?? []) {
    const endpoint = header(key);
    if (endpoint) {
      name = `${request.method}:${endpoint}`;
      break;
    }
  }
  const tags: TagMap = {
    [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_CLIENT,
    [Tags.COMPONENT]: component,
    [Tags.HTTP_METHOD]: request.method,
    [Tags.HTTP_URL]: safeUrl(request),
    [Tags.PEER_HOSTNAME]: request.hostname.replace(/^\[|\]$/g, ''),
    [Tags.PEER_PORT]: request.port,
    [Tags.PEER_SERVICE]: options.peerService,
  };
  return { name, tags };
}

/**
 * The headers to add: the span's context as the tracer writes it, then the caller-name headers. A header the
 * request already has is left alone (the host's own value wins, and a signed request stays valid); a name or value
 * `http.request` would reject is dropped and reported once.
 */
export function headersToAdd(
  child: ChildSpan,
  options: HttpClientOptions<any, any>,
  has: (name: string) => boolean,
): [string, string][] {
  const carrier: Record<string, unknown> = {};
  child.inject(carrier);
  if (options.serviceName !== undefined) {
    for (const name of options.callerNameHeaders ?? []) carrier[name] ??= options.serviceName;
  }
  const out: [string, string][] = [];
  for (const name of Object.keys(carrier)) {
    const value = carrier[name];
    const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
    if (text === undefined || !TOKEN.test(name) || !FIELD_VALUE.test(text)) {
      reportFault('http.header', new TypeError(`invalid header "${name.slice(0, 40)}" not sent`));
      continue;
    }
    if (!has(name)) out.push([name, text]);
  }
  return out;
}

/** `http.status_code`, and `error=true` for 5xx (the server failed the call). */
export function tagStatus(child: ChildSpan, status: unknown): void {
  if (typeof status !== 'number') return;
  child.setTag(Tags.HTTP_STATUS_CODE, status);
  if (status >= 500) child.setTag(Tags.ERROR, true);
}

/** Marks a failure that has no error object of its own (a request closed before its response ended). */
export function tagFailure(span: Span, message: string): void {
  try {
    span.setTag(Tags.ERROR, true);
    span.log({ event: 'error', message });
  } catch (error) {
    reportFault('span.log', error);
  }
}

/** Subscribes `listener` to a diagnostics channel; a throw is reported, never rethrown into the host's request. */
export function subscribe(name: string, listener: (message: unknown) => void): () => void {
  const guarded = (message: unknown) => {
    try {
      listener(message);
    } catch (error) {
      reportFault(name, error);
    }
  };
  dc.subscribe(name, guarded);
  return () => dc.unsubscribe(name, guarded);
}
