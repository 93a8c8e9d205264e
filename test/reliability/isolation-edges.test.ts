/**
 * C3 (48, 50–54): context at the edges: keep-alive sockets reused by requests with and without a traceparent,
 * emitters crossing requests, resources made at startup, a second copy of the runtime, worker threads, and
 * install/uninstall cycles. (C3.49, pools: test/runtime/clients/pg.test.ts and mysql2.test.ts, "case 49".)
 */
import { EventEmitter } from 'node:events';
import * as nodeHttp from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { http as httpClient } from '../../src/runtime/clients/http';
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import { activeSpan } from '../../src/runtime/scope';
import { traceHandler } from '../../src/runtime/servers/http';
import { state } from '../../src/runtime/state';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer } from '../helpers/mock-tracer';
import { installPropagatingTracer } from '../helpers/propagating-tracer';
import { close, Downstream, FRAMEWORKS, get, installClients, listen, startApp, type Service } from './apps';
import { buildPair, FIXTURES, turns } from './support';

const service = buildPair<Service>('service', 'service.ts');
const traceOf = (i: number) => `${(i + 1).toString(16).padStart(8, '0')}${'c'.repeat(24)}`;

const c48 = suite('C3.48 keep-alive reuse');
for (const framework of FRAMEWORKS) {
  c48(`C3.48 ${framework}: 1,000 sequential requests on one keep-alive socket, alternating with and without traceparent: none sees the previous request's trace`, async () => {
    setTracer(new DevTracer());
    const { server, port } = await startApp(framework, service.traced(), 0, true);
    const agent = new nodeHttp.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    server.on('connection', (s) => sockets.add(s));
    const problems: string[] = [];
    try {
      let previous = '';
      for (let i = 0; i < 1_000; i++) {
        const headers: Record<string, string> = i % 2 === 0 ? { traceparent: `00-${traceOf(i)}-${'d'.repeat(16)}-01` } : {};
        const { body } = await get(port, '/whoami', headers, agent);
        if (i % 2 === 0 && body !== traceOf(i)) problems.push(`request ${i} saw ${body}, not its traceparent's trace`);
        if (i % 2 === 1 && (body === previous || body === 'none')) problems.push(`request ${i} saw ${body} (previous ${previous})`);
        previous = body;
      }
    } finally {
      agent.destroy();
      await close(server);
      setTracer(undefined);
    }
    assert.is(sockets.size, 1, '~> all on one socket');
    assert.equal(problems.slice(0, 5), [], `~> ${problems.length} problems`);
  });
}
c48.run();

/** A traced node:http server running `handler` with the request span active. */
async function tracedServer(handler: (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse) => void) {
  const server = nodeHttp.createServer(traceHandler(handler));
  return { server, port: await listen(server) };
}
const currentTrace = () => activeSpan()?.context().toTraceId() ?? 'none';

const c50 = suite('C3.50 emitters crossing requests');
c50('C3.50 a listener registered in request A and emitted in request B runs in B (emit time); request C never sees A', async () => {
  setTracer(new DevTracer());
  const bus = new EventEmitter();
  const heard: string[] = [];
  const own: Record<string, string> = {};
  let seenByC = '';
  const { server, port } = await tracedServer((req, res) => {
    const who = req.url!.slice(1);
    own[who] = currentTrace();
    if (who === 'A') bus.on('event', () => heard.push(currentTrace()));
    if (who === 'B') bus.emit('event');
    if (who === 'C') seenByC = currentTrace();
    res.end(own[who]);
  });
  try {
    for (const who of ['A', 'B', 'C']) await get(port, `/${who}`);
  } finally {
    await close(server);
    setTracer(undefined);
  }
  assert.equal(heard, [own.B], '~> the listener ran in the emitter\'s request');
  assert.is(seenByC, own.C);
  assert.ok(new Set([own.A, own.B, own.C]).size === 3, '~> three traces');
});
c50.run();

const c51 = suite('C3.51 startup resources');
c51('C3.51 a setInterval and an emitter created at startup see no active span during 1,000 traced requests', async () => {
  setTracer(new DevTracer());
  const startup = new EventEmitter();
  const seen: string[] = [];
  startup.on('tick', () => seen.push(currentTrace()));
  const interval = setInterval(() => {
    seen.push(currentTrace());
    startup.emit('tick');
  }, 1);
  const m = service.traced();
  const downstream = await new Downstream().start();
  const undo = installClients();
  const { server, port } = await startApp('http', m, downstream.port, true);
  try {
    for (let i = 0; i < 1_000; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => get(port, `/work/${i + j}`)));
  } finally {
    clearInterval(interval);
    undo();
    m.closeAgent();
    await close(server);
    await downstream.close();
    setTracer(undefined);
  }
  assert.ok(seen.length > 20, `~> ${seen.length} ticks during the requests`);
  assert.equal([...new Set(seen)], ['none'], '~> no tick saw a span');
});
c51.run();

const c52 = suite('C3.52 two copies of the runtime');
c52('C3.52 a second copy of the runtime: both install http, the request carries one traceparent, spans nest across copies', async () => {
  const tracer = installPropagatingTracer();
  const runtimeDir = join(__dirname, '..', '..', 'src', 'runtime');
  const saved = Object.keys(require.cache).filter((k) => k.startsWith(runtimeDir));
  const originals = Object.fromEntries(saved.map((k) => [k, require.cache[k]]));
  for (const k of saved) delete require.cache[k];
  const second = {
    http: (require('../../src/runtime/clients/http') as typeof import('../../src/runtime/clients/http')).http,
    traced: (require('../../src/runtime/traced') as typeof import('../../src/runtime/traced')).traced,
  };
  Object.assign(require.cache, originals);
  assert.ok(second.http !== httpClient, '~> a distinct copy');
  const received: string[][] = [];
  const downstream = nodeHttp.createServer((req, res) => {
    received.push(req.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1].toLowerCase() === 'traceparent'));
    res.end();
  });
  const port = await listen(downstream);
  httpClient.install({});
  second.http.install({});
  const call = second.traced({ name: 'second.call' })(
    () =>
      new Promise<void>((resolve, reject) => {
        nodeHttp.get({ host: '127.0.0.1', port, agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
      }),
  );
  try {
    await (require('../../src/runtime/traced') as typeof import('../../src/runtime/traced')).traced({ name: 'first.outer' })(call)();
    await turns(); // the client span ends on the request's 'close', after the response
  } finally {
    second.http.uninstall();
    httpClient.uninstall();
    await close(downstream);
    setTracer(undefined);
  }
  assert.is(received.length, 1);
  assert.is(received[0].length, 1, '~> exactly one traceparent');
  assert.equal(tracer.finished().map((s) => s.path).sort(), ['first.outer', 'first.outer > second.call', 'first.outer > second.call > GET']);
  assert.ok(tracer.finished().every((s) => s.finishCount === 1));
});
c52.run();

const c53 = suite('C3.53 worker threads');
c53('C3.53 a worker with its own runtime starts cleanly; its spans stay in it, the main thread\'s in the main thread', async () => {
  const tracer = installRecordingTracer();
  // Node 20 runs no --import loader for a worker's entry: the entry registers tsx itself.
  const worker = new Worker(`require('tsx/cjs'); require(require('node:worker_threads').workerData);`, { eval: true, workerData: join(FIXTURES, 'worker.ts') });
  const errors: unknown[] = [];
  worker.on('error', (e) => errors.push(e));
  const reply = await new Promise<{ result: number; spans: string[]; activeAfter: boolean }>((resolve) => {
    worker.once('message', resolve);
    const span = tracer.startSpan('main.send');
    worker.postMessage(21);
    span.finish();
  });
  await worker.terminate();
  setTracer(undefined);
  assert.equal(errors, []);
  assert.is(reply.result, 42);
  assert.equal(reply.spans.sort(), ['worker.outer', 'worker.outer > worker.inner'], '~> the worker\'s spans form their own trace');
  assert.ok(reply.activeAfter, '~> and nothing stays active there');
  assert.equal(tracer.started.map((s) => s.name), ['main.send'], '~> no worker span reached the main thread\'s tracer');
});
c53.run();

const c54 = suite('C3.54 uninstall and reinstall');
c54('C3.54 1,000 install/uninstall cycles: http.request restored each time, one AsyncLocalStorage throughout (per-await cost: bench, not asserted here)', async () => {
  installRecordingTracer();
  const storage = state.storage;
  const original = { request: nodeHttp.request, get: nodeHttp.get };
  let notRestored = 0;
  for (let i = 0; i < 1_000; i++) {
    httpClient.install({});
    httpClient.uninstall();
    if (nodeHttp.request !== original.request || nodeHttp.get !== original.get) notRestored++;
    setTracer(undefined);
    installRecordingTracer();
  }
  setTracer(undefined);
  assert.is(notRestored, 0);
  assert.ok(state.storage === storage && storage !== undefined, '~> the same AsyncLocalStorage instance');
});
c54.run();
