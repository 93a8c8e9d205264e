/**
 * The service the W3C Trace Context test suite (w3c/trace-context, test/test.py) drives: a plain node:http server
 * traced by ts-traced's request middleware, calling out through its http client wrapper, with the development
 * tracer. On `POST /test` with a JSON list of `{ url, arguments }` it POSTs each `arguments` (as JSON) to its `url`,
 * one after the other, carrying the propagated context, then answers 200.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, setTracer, traceHandler } from 'ts-traced';
import { DevTracer } from 'ts-traced/dev';

interface Call {
  readonly url: string;
  readonly arguments: unknown;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body)).on('error', reject);
  });
}

/** POSTs `body` to `url`; the client wrapper adds the traceparent and tracestate of a child of the request span. */
function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume().on('end', resolve).on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/test') {
    res.writeHead(404).end();
    return;
  }
  let calls: Call[];
  try {
    calls = JSON.parse(await readBody(req)) as Call[];
    if (!Array.isArray(calls)) throw new TypeError('expected a JSON list');
  } catch (error) {
    res.writeHead(400).end(String(error));
    return;
  }
  for (const call of calls) await post(call.url, JSON.stringify(call.arguments));
  res.writeHead(200).end();
}

/** Starts the service on `port` (0: any free port) and resolves the listening server. */
export async function startTestService(port: number, host = '127.0.0.1'): Promise<Server> {
  setTracer(new DevTracer({ propagation: ['w3c'] }));
  http.install();
  const server = createServer(
    traceHandler((req, res) => {
      handle(req, res).catch((error: Error) => res.writeHead(500).end(error.message));
    }, { route: '/test' }),
  );
  server.listen(port, host);
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}

export function addressOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address}:${port}/test`;
}
