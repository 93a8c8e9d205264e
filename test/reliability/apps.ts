/**
 * Small real apps for the reliability tests: the same routes on node:http (`traceHandler`), express
 * (`tracingMiddleware`), koa (`koaTracing`) and fastify (`fastifyTracing`), each calling the compiled traced
 * service (fixtures/service.ts), which calls a downstream echo server through node:http and fetch. Built with
 * or without ts-traced, so a test can compare the two byte for byte. Everything listens on 127.0.0.1:0.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suppressTracing } from '../../src/runtime/child-span';
import { http as httpClient } from '../../src/runtime/clients/http';
import { fetchClient } from '../../src/runtime/clients/fetch';
import { tracingErrorHandler, tracingMiddleware } from '../../src/runtime/servers/express';
import { fastifyTracing } from '../../src/runtime/servers/fastify';
import { traceHandler } from '../../src/runtime/servers/http';
import { koaTracing } from '../../src/runtime/servers/koa';
import type { ServerTracingOptions } from '../../src/runtime/servers/request-span';
import { activeSpan } from '../../src/runtime/scope';

/** `GET /whoami`: the trace id of the span active in the handler, or `none`. */
const whoami = (): string => activeSpan()?.context().toTraceId() || 'none';

export type Service = typeof import('./fixtures/service');
export const FRAMEWORKS = ['http', 'express', 'koa', 'fastify'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

/** A downstream service that answers `<path> x-host=<its x-host header>` and remembers every request's headers. */
export class Downstream {
  readonly received: IncomingHttpHeaders[] = [];
  readonly server: Server = createServer((req, res) => {
    this.received.push(req.headers);
    req.resume();
    res.end(`${req.url} x-host=${String(req.headers['x-host'])}`);
  });
  port = 0;
  async start(): Promise<this> {
    this.port = await listen(this.server);
    return this;
  }
  close(): Promise<void> {
    return close(this.server);
  }
}

export async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Installs the http and fetch client wrappers (idempotent); returns the undo. */
export function installClients(): () => void {
  httpClient.install({});
  fetchClient.install({});
  return () => {
    httpClient.uninstall();
    fetchClient.uninstall();
  };
}

/** How long `/slow/:ms` waits before answering, in ms (the client may go away meanwhile). */
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds `framework`'s app: `GET /work/:id` (the traced service), `GET /fail` (a synchronous throw; not on
 * node:http, where a throwing listener crashes the process as it would untraced), `GET /slow/:ms`, `GET /stream`
 * (writes a first chunk and never ends), `GET /whoami` (the active trace id). With `traced: false` the app has no ts-traced middleware at all.
 */
export async function startApp(
  framework: Framework,
  service: Service,
  downstream: number,
  traced: boolean,
  options: ServerTracingOptions<any> = {},
): Promise<{ server: Server; port: number }> {
  let server: Server;
  switch (framework) {
    case 'http': {
      const handler = (req: IncomingMessage, res: ServerResponse) => {
        const [, route, arg] = /^\/([^/?]+)\/?([^?]*)/.exec(req.url ?? '') ?? [];
        if (route === 'work') {
          service.handle(arg, downstream).then(
            (value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value)),
            (error: Error) => res.writeHead(502).end(error.message),
          );
        } else if (route === 'slow') {
          delay(Number(arg)).then(() => res.end('slow done'));
        } else if (route === 'stream') {
          res.write('first chunk');
        } else if (route === 'whoami') {
          res.end(whoami());
        } else {
          res.writeHead(404).end('not found');
        }
      };
      server = createServer(traced ? traceHandler(handler, options) : handler);
      break;
    }
    case 'express': {
      const express = require('express') as typeof import('express');
      const app = express();
      app.set('env', 'production'); // the error page without a stack, whose frames name the middleware
      if (traced) app.use(tracingMiddleware(options) as never);
      app.get('/work/:id', async (req, res) => {
        res.json(await service.handle(req.params.id as string, downstream));
      });
      app.get('/fail', () => {
        throw new Error('route failed');
      });
      app.get('/slow/:ms', async (req, res) => {
        await delay(Number(req.params.ms));
        res.send('slow done');
      });
      app.get('/stream', (_req, res) => void res.write('first chunk'));
      app.get('/whoami', (_req, res) => void res.send(whoami()));
      if (traced) app.use(tracingErrorHandler() as never);
      server = createServer(app);
      break;
    }
    case 'koa': {
      const Koa = require('koa') as typeof import('koa');
      const Router = (require('@koa/router') as typeof import('@koa/router')).default;
      const app = new Koa();
      app.silent = true;
      const router = new Router();
      if (traced) app.use(koaTracing(options) as never);
      router.get('/work/:id', async (ctx) => {
        ctx.body = await service.handle(ctx.params.id, downstream);
      });
      router.get('/fail', () => {
        throw new Error('route failed');
      });
      router.get('/slow/:ms', async (ctx) => {
        await delay(Number(ctx.params.ms));
        ctx.body = 'slow done';
      });
      router.get('/whoami', (ctx) => {
        ctx.body = whoami();
      });
      router.get('/stream', (ctx) => {
        ctx.respond = false;
        ctx.res.write('first chunk');
      });
      app.use(router.routes());
      server = createServer(app.callback());
      break;
    }
    case 'fastify': {
      const Fastify = require('fastify') as typeof import('fastify');
      const app = Fastify.fastify({ logger: false });
      if (traced) await app.register(fastifyTracing, options as never);
      app.get<{ Params: { id: string } }>('/work/:id', (request) => service.handle(request.params.id, downstream));
      app.get('/fail', () => {
        throw new Error('route failed');
      });
      app.get<{ Params: { ms: string } }>('/slow/:ms', async (request) => {
        await delay(Number(request.params.ms));
        return 'slow done';
      });
      app.get('/whoami', async () => whoami());
      app.get('/stream', (_request, reply) => {
        reply.hijack();
        reply.raw.write('first chunk');
      });
      await app.ready();
      server = app.server;
      break;
    }
  }
  return { server, port: await listen(server) };
}

/**
 * One GET on a fresh connection (or the given agent), resolving status, body and headers. Sent with client tracing
 * suppressed: the test plays an outside caller, whose request carries only the headers it is given.
 */
export function get(port: number, path: string, headers: Record<string, string> = {}, agent: false | import('node:http').Agent = false): Promise<Reply> {
  return suppressTracing(() => new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  }));
}

/** The reply's observable part: status and body (headers carry dates and lengths). */
export const shown = (r: Reply) => `${r.status} ${r.body}`;
