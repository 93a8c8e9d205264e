/**
 * What the server tests share: real servers on 127.0.0.1 (port 0), a plain `http.request` client, a client that
 * goes away mid-response, and the work a handler does under its request span (a traced function and a
 * hand-made child span) so each test can check the nesting.
 */
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Span } from 'opentracing';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { getTracer } from '../../../src/runtime/tracer';
import { traced } from '../../../src/runtime/traced';
import type { RecordedSpan, RecordingTracer } from '../../helpers/mock-tracer';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Starts `server` on 127.0.0.1 and an ephemeral port; resolves the port. */
export function listen(server: Server): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port));
  });
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections?.();
  return new Promise((done) => server.close(() => done()));
}

/** One request to 127.0.0.1:`port`; a fresh connection each time, so requests never share a socket by accident. */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {},
): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(options.body);
  });
}

/** Sends raw bytes (odd request lines, absolute-form URLs) and resolves the status line's code. */
export function sendRaw(port: number, text: string): Promise<number> {
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (match && data.includes('\r\n\r\n')) {
        socket.destroy();
        done(Number(match[1]));
      }
    });
    socket.on('error', fail);
    socket.write(text);
  });
}

/**
 * Requests `path` and destroys the connection as soon as the first body bytes arrive: the server is still
 * writing (its handler writes a first chunk and holds the response open).
 */
export function abortMidResponse(port: number, path: string): Promise<void> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        done();
      });
    });
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : fail(error)));
    req.end();
  });
}

/** Resolves when `check()` is true; rejects after `ms` (a bounded wait for events on the server side). */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A traced business function: its span must be a child of the request span of the request that called it. */
export const lookup = traced({ name: 'lookup' })(async function lookup(id: string): Promise<string> {
  await new Promise((r) => setTimeout(r, Math.random() * 3));
  return `user-${id}`;
});

/**
 * What every test handler does: awaits a timer, calls the traced `lookup`, and opens a hand-made child span of
 * the active span (OpenTracing v1 style). Both children carry `request.id` so tests can match them to a request.
 */
export async function work(id: string): Promise<string> {
  await new Promise((r) => setImmediate(r));
  const parent = activeSpan();
  const manual = getTracer()?.startSpan('manual', parent ? { childOf: parent, tags: { 'request.id': id } } : { tags: { 'request.id': id } });
  const name = manual ? await withSpan(manual, () => lookup(id)) : await lookup(id);
  manual?.finish();
  return name;
}

/** The server span of each request by its `request.id` tag, as set by `startSpanCallback: tagRequestId`. */
export function tagRequestId(span: Span, request: unknown): void {
  const headers = (request as { headers?: IncomingHttpHeaders }).headers ?? (request as { req?: { headers: IncomingHttpHeaders } }).req?.headers;
  const id = headers?.['x-request-id'];
  if (typeof id === 'string') span.setTag('request.id', id);
}

/**
 * Checks the trees of `count` concurrent requests: every request has exactly one server span, finished once,
 * a root of its own trace; its `manual` child and the `lookup` grandchild carry the same request id.
 * Returns a list of problems (empty when all is well).
 */
export function checkIsolation(tracer: RecordingTracer, serverName: (s: RecordedSpan) => boolean, count: number): string[] {
  const problems: string[] = [];
  const servers = tracer.started.filter(serverName);
  if (servers.length !== count) problems.push(`${servers.length} server spans for ${count} requests`);
  const byId = new Map(servers.map((s) => [s.tags['request.id'], s]));
  if (byId.size !== count) problems.push(`${byId.size} distinct request ids on server spans`);
  for (const s of servers) {
    if (s.finishCount !== 1) problems.push(`server span ${s.tags['request.id']} finished ${s.finishCount} times`);
    if (s.parent !== undefined) problems.push(`server span ${s.tags['request.id']} has a parent`);
  }
  for (const manual of tracer.byName('manual')) {
    const id = manual.tags['request.id'];
    if (manual.parent !== byId.get(id)) problems.push(`manual span of ${id} is under ${manual.parent?.tags['request.id']}`);
    if (manual.finishCount !== 1) problems.push(`manual span of ${id} finished ${manual.finishCount} times`);
  }
  for (const span of tracer.byName('lookup')) {
    const manual = span.parent;
    if (manual?.name !== 'manual') problems.push(`lookup span under ${manual?.name}`);
    if (span.finishCount !== 1) problems.push(`lookup span finished ${span.finishCount} times`);
  }
  if (tracer.byName('manual').length !== count) problems.push(`${tracer.byName('manual').length} manual spans`);
  if (tracer.byName('lookup').length !== count) problems.push(`${tracer.byName('lookup').length} lookup spans`);
  return problems.slice(0, 10);
}

/** Runs `fn(i)` for i in 0..n-1 all at once. */
export function concurrently<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}

/** Every string a span carries (name, tags, logs), for checks that a secret never made it in. */
export function spanText(spans: readonly RecordedSpan[]): string {
  return JSON.stringify(spans.map((s) => ({ name: s.name, tags: s.tags, logs: s.logs.map((l) => ({ ...l, 'error.object': undefined })) })));
}
