/**
 * Global `fetch` and every other undici request, through undici's diagnostics channels only (no patching): they
 * give all this needs. `undici:request:create` fires in the caller's context with a request whose `addHeader`
 * still reaches the wire; `undici:request:headers` carries the status, `undici:request:trailers` the end of the
 * body, `undici:request:error` a failure (refused, reset, aborted, timed out). A response body that is never read
 * keeps its request open: undici cancels it when the `Response` is garbage-collected, and the span ends then.
 */
import { reportFault } from '../safe';
import { state } from '../state';
import { startChildSpan, type ChildSpan } from '../child-span';
import { defineWrapper, runHook } from './install';
import {
  HTTP_COMPONENT,
  headersToAdd,
  isIgnored,
  requestSpan,
  splitAuthority,
  subscribe,
  tagStatus,
  type HttpClientOptions,
  type OutgoingRequest,
} from './http-tags';

/** The request object undici publishes (v5: `headers` is a string of lines; v6+: a flat name/value array). */
export interface UndiciRequest {
  readonly origin: string;
  readonly method: string;
  readonly path: string;
  readonly headers: string | unknown[];
  addHeader(name: string, value: string): unknown;
}

/** What `undici:request:headers` carries: the status line and the raw header list. */
export interface UndiciResponse {
  readonly statusCode: number;
  readonly statusText: string;
  readonly headers: Buffer[];
}

export type FetchOptions = HttpClientOptions<UndiciRequest, UndiciResponse>;

/** Requests already traced, shared by every loaded copy of the runtime. */
const KEY = Symbol.for('ts-traced.undici.requests');
const holder = globalThis as typeof globalThis & { [KEY]?: WeakMap<object, ChildSpan> };
const traced = (holder[KEY] ??= new WeakMap<object, ChildSpan>());

function describe(request: UndiciRequest): OutgoingRequest {
  const origin = new URL(request.origin);
  const { port } = splitAuthority(origin.host, origin.protocol);
  return { method: request.method, protocol: origin.protocol, hostname: origin.hostname, port, path: request.path };
}

/** The request's header values by lower-case name, first value only. */
function headerMap(request: UndiciRequest): Map<string, string> {
  const map = new Map<string, string>();
  const add = (name: unknown, value: unknown) => {
    if (typeof name !== 'string') return;
    const key = name.toLowerCase();
    if (!map.has(key)) map.set(key, String(Array.isArray(value) ? value[0] : value));
  };
  const raw = request.headers;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) add(raw[i], raw[i + 1]);
  } else if (typeof raw === 'string') {
    for (const line of raw.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) add(line.slice(0, colon), line.slice(colon + 1).trim());
    }
  }
  return map;
}

function onCreate(message: unknown, options: FetchOptions): void {
  const tracer = options.tracer ?? state.tracer;
  if (tracer === undefined) return;
  const { request } = message as { request: UndiciRequest };
  if (traced.has(request) || request.method === 'CONNECT') return;
  const described = describe(request);
  if (isIgnored(options, described)) return;
  const headers = headerMap(request);
  const { name, tags } = requestSpan(HTTP_COMPONENT.fetch, described, options, (n) => headers.get(n.toLowerCase()));
  const child = startChildSpan(name, tags, tracer);
  if (child === undefined) return;
  traced.set(request, child);
  runHook(options.requestHook, child.span, request, 'hook.requestHook');
  for (const [key, value] of headersToAdd(child, options, (n) => headers.has(n.toLowerCase()))) {
    request.addHeader(key, value);
  }
}

function onHeaders(message: unknown, options: FetchOptions): void {
  const { request, response } = message as { request: object; response: UndiciResponse };
  const child = traced.get(request);
  if (child === undefined) return;
  tagStatus(child, response.statusCode);
  runHook(options.responseHook, child.span, response, 'hook.responseHook');
}

function onTrailers(message: unknown): void {
  traced.get((message as { request: object }).request)?.finish();
}

function onError(message: unknown): void {
  const { request, error } = message as { request: object; error: unknown };
  traced.get(request)?.fail(error);
}


/** Global `fetch` and undici's own API (its bundled copy in Node, or the npm package): undici 6 and 7. */
export const fetchClient = defineWrapper<FetchOptions>({
  name: 'fetch',
  majors: [6, 7],
  load: () =>
    typeof globalThis.fetch === 'function' ? { exports: globalThis.fetch, version: process.versions.undici } : undefined,
  patch(_fetch: unknown, options) {
    const undo = [
      subscribe('undici:request:create', (m) => onCreate(m, options)),
      subscribe('undici:request:headers', (m) => onHeaders(m, options)),
      subscribe('undici:request:trailers', onTrailers),
      subscribe('undici:request:error', onError),
    ];
    return () => {
      for (const step of undo) step();
    };
  },
});
