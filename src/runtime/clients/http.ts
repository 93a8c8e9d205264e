/**
 * Outgoing `node:http` / `node:https` requests, and so everything built on them (axios, got, the AWS SDK's handler).
 *
 * Hook points. Node's diagnostics channels where they do the job, since they need no patching:
 * `http.client.request.created` fires inside the `ClientRequest` constructor, in the caller's context, before the
 * headers are written (so they can still be set); `http.client.response.finish` gives the status and
 * `http.client.request.error` the error *without* an `'error'` listener (adding one would stop an unhandled error
 * from crashing the process as it does untraced). Node 20 has no channel before the headers are written
 * (`http.client.request.start` fires once they are serialized: `setHeader` then throws ERR_HTTP_HEADERS_SENT), so
 * below Node 23.2 `request` and `get` of both modules are wrapped instead: the wrapper calls the original and then
 * handles the new request exactly as the channel would. The span ends on the request's `'close'`, which Node emits
 * once, after the response ended or the request failed.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { tagError } from '../errors';
import { reportFault } from '../safe';
import { state } from '../state';
import { startChildSpan, type ChildSpan } from '../child-span';
import { defineWrapper, runHook, wrapMethod } from './install';
import {
  HTTP_COMPONENT,
  headersToAdd,
  isIgnored,
  requestSpan,
  splitAuthority,
  subscribe,
  tagFailure,
  tagStatus,
  type HttpClientOptions,
  type OutgoingRequest,
} from './http-tags';

export type HttpOptions = HttpClientOptions<ClientRequest, IncomingMessage>;

interface Traced {
  readonly child: ChildSpan;
  errored: boolean;
}

/** Requests already traced, shared by every loaded copy of the runtime: one span and one set of headers each. */
const KEY = Symbol.for('ts-traced.http.requests');
const holder = globalThis as typeof globalThis & { [KEY]?: WeakMap<object, Traced> };
const traced = (holder[KEY] ??= new WeakMap<object, Traced>());

const [major, minor] = process.versions.node.split('.').map(Number);
/** Node 23.2 added `http.client.request.created`. */
const hasCreatedChannel = major > 23 || (major === 23 && minor >= 2);

function describe(req: ClientRequest): OutgoingRequest {
  const protocol = req.protocol || 'http:';
  const host = req.getHeader('host');
  const { hostname, port } = splitAuthority(typeof host === 'string' ? host : req.host, protocol);
  return { method: req.method, protocol, hostname, port, path: req.path };
}

function headerOf(req: ClientRequest, name: string): string | undefined {
  const value = req.getHeader(name);
  return Array.isArray(value) ? value[0] : value === undefined ? undefined : String(value);
}

function onCreated(req: ClientRequest, options: HttpOptions): void {
  const tracer = options.tracer ?? state.tracer;
  if (tracer === undefined || traced.has(req)) return;
  try {
    const request = describe(req);
    if (isIgnored(options, request)) return;
    const { name, tags } = requestSpan(HTTP_COMPONENT.http, request, options, (n) => headerOf(req, n));
    const child = startChildSpan(name, tags, tracer);
    if (child === undefined) return;
    const record: Traced = { child, errored: false };
    traced.set(req, record);
    runHook(options.requestHook, child.span, req, 'hook.requestHook');
    if (!req.headersSent) {
      for (const [key, value] of headersToAdd(child, options, (n) => req.hasHeader(n))) req.setHeader(key, value);
    }
    req.once('close', () => onClose(req, record));
  } catch (error) {
    reportFault('http.request', error);
  }
}

function onResponse(message: unknown, options: HttpOptions): void {
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  const record = traced.get(request);
  if (record === undefined) return;
  tagStatus(record.child, response.statusCode);
  runHook(options.responseHook, record.child.span, response, 'hook.responseHook');
}

function onError(message: unknown): void {
  const { request, error } = message as { request: ClientRequest; error: unknown };
  const record = traced.get(request);
  if (record === undefined || record.errored) return;
  record.errored = true;
  tagError(record.child.span, error);
}

/** A request that closes without a complete response failed, whether or not Node reported an error. */
function onClose(req: ClientRequest, record: Traced): void {
  try {
    if (!record.errored) {
      const res = (req as ClientRequest & { res?: IncomingMessage | null }).res;
      if (res == null) tagFailure(record.child.span, 'request closed before a response');
      else if (!res.complete) tagFailure(record.child.span, 'response closed before it ended');
    }
  } finally {
    record.child.finish();
  }
}

type RequestFn = (...args: unknown[]) => ClientRequest;
type HttpModule = { request: RequestFn; get: RequestFn };

/** Below Node 23.2: `request` hands its result to `onCreated`; `get` is Node's own `get` over that `request`. */
function wrapModule(mod: HttpModule, created: (req: ClientRequest) => void): () => void {
  let request: RequestFn | undefined;
  const undoRequest = wrapMethod(mod, 'request', (original) => {
    request = original;
    return function (this: unknown, ...args: unknown[]) {
      const req = original.apply(this, args);
      created(req);
      return req;
    };
  });
  const undoGet = wrapMethod(mod, 'get', () => function (this: unknown, ...args: unknown[]) {
    const req = request!.apply(this, args);
    created(req);
    req.end();
    return req;
  });
  return () => {
    undoGet();
    undoRequest();
  };
}


/** `node:http` and `node:https` client requests. */
export const http = defineWrapper<HttpOptions>({
  name: 'http',
  majors: [20, 22, 24],
  load: () => ({ exports: { http: require('node:http'), https: require('node:https') }, version: process.versions.node }),
  patch(modules: { http: HttpModule; https: HttpModule }, options) {
    const created = (req: ClientRequest) => onCreated(req, options);
    const undo = [
      subscribe('http.client.response.finish', (m) => onResponse(m, options)),
      subscribe('http.client.request.error', onError),
    ];
    if (hasCreatedChannel) {
      undo.push(subscribe('http.client.request.created', (m) => created((m as { request: ClientRequest }).request)));
    } else {
      undo.push(wrapModule(modules.http, created), wrapModule(modules.https, created));
      syncBuiltinESMExports();
    }
    return () => {
      for (const step of undo.reverse()) step();
      if (!hasCreatedChannel) syncBuiltinESMExports();
    };
  },
});
