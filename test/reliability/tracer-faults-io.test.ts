/**
 * C4 (57, 58, plus 55/56/59 at the edges): a failing tracer behind the server middleware and the client
 * wrappers. Each framework's app (apps.ts) answers every request exactly as the same app without ts-traced,
 * and the downstream service receives each outgoing call exactly once with the host's own headers. A fault met
 * on the way to `inject` (the span's `context()`, the active-span provider) is reported under its own kind.
 */
import * as nodeHttp from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { faultCounts, FAULT_WARNING_CODE, resetFaults } from '../../src/runtime/safe';
import { setActiveSpanProvider } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { installFaultTracer, type FaultPlan } from '../helpers/fault-tracer';
import { close, Downstream, FRAMEWORKS, get, installClients, shown, startApp, type Framework, type Service } from './apps';
import { buildPair, EscapeWatch, turns } from './support';

const service = buildPair<Service>('service', 'service.ts');
const REQUESTS_PER_ROW = 60;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Requests of one row: the traced service, a synchronous throw (not on node:http), with and without traceparent. */
function paths(framework: Framework): string[] {
  return Array.from({ length: REQUESTS_PER_ROW }, (_, i) => (framework !== 'http' && i % 5 === 4 ? '/fail' : `/work/${i}`));
}

interface Observed {
  readonly replies: string[];
  /** Per downstream request: path and the host's own header, sorted (calls interleave). */
  readonly downstream: string[];
}

async function observe(framework: Framework, traced: boolean): Promise<Observed> {
  const downstream = await new Downstream().start();
  const mod = traced ? service.traced() : service.plain();
  const undo = traced ? installClients() : () => {};
  const { server, port } = await startApp(framework, mod, downstream.port, traced);
  try {
    const replies = await Promise.all(paths(framework).map((path, i) => get(port, path, i % 2 ? { traceparent: TRACEPARENT } : {})));
    return {
      replies: replies.map(shown),
      downstream: downstream.received.map((h) => `${h['x-host']}`).sort(),
    };
  } finally {
    undo();
    mod.closeAgent();
    await close(server);
    await downstream.close();
  }
}

const untraced = new Map<Framework, Observed>();
async function reference(framework: Framework): Promise<Observed> {
  setTracer(undefined);
  if (!untraced.has(framework)) untraced.set(framework, await observe(framework, false));
  return untraced.get(framework)!;
}

const ROWS: readonly [string, FaultPlan][] = [
  ['tracer.extract throws (C4.58)', { throws: ['extract'] }],
  ['tracer.inject throws (C4.57)', { throws: ['inject'] }],
  ['startSpan throws a Proxy (C4.55)', { throws: ['startSpan'], value: 'proxy' }],
  ['every span method throws (C4.56)', { throws: ['finish', 'setTag', 'addTags', 'log', 'setOperationName', 'context'] }],
  ['every method throws a string (C4.56)', { throws: 'all', value: 'string' }],
  ['every 3rd call of every method throws (C4.56)', { throws: 'all', every: 3 }],
  ['startSpan returns undefined (C4.59)', { startSpanReturns: 'undefined' }],
  ['startSpan returns a span without a context (C4.59)', { startSpanReturns: 'contextless' }],
  ["startSpan returns another tracer's span (C4.59)", { startSpanReturns: 'foreign' }],
];

for (const framework of FRAMEWORKS) {
  const test = suite(`C4 faults behind ${framework}`);
  for (const [label, plan] of ROWS) {
    test(`C4.57/58 ${framework}, ${label}: ${REQUESTS_PER_ROW} requests answered as without ts-traced, each downstream call made once with the host's headers`, async () => {
      const expected = await reference(framework);
      resetFaults();
      const tracer = installFaultTracer(plan);
      const watch = new EscapeWatch();
      const got = await observe(framework, true);
      await turns();
      watch.stop();
      setTracer(undefined);
      assert.equal(got.replies, expected.replies, '~> the same status and body for every request');
      assert.equal(got.downstream, expected.downstream, '~> every downstream call arrived once, with its own x-host header');
      assert.equal([watch.uncaught.length, watch.unhandled.length], [0, 0], '~> no uncaught exception or unhandled rejection');
      assert.equal(watch.warnings.filter((w) => (w as { code?: string }).code !== FAULT_WARNING_CODE).map(String), [], '~> no warning but fault reports');
      const point = plan.throws === 'all' || plan.throws === undefined ? 'startSpan' : plan.throws[0];
      assert.ok(tracer.calls[point] > 0, `~> the failing ${point} was called`);
      if (plan.throws !== undefined || plan.startSpanReturns === 'undefined') assert.ok(Object.keys(faultCounts()).length > 0, '~> the faults were met and counted');
    });
  }
  test.run();
}

/** One request through each client wrapper (node:http and fetch), made outside any span; the replies. */
async function callOut(port: number): Promise<string[]> {
  const viaHttp = await new Promise<string>((resolve, reject) => {
    nodeHttp
      .get({ host: '127.0.0.1', port, path: '/http', headers: { 'x-host': 'mine' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body));
      })
      .on('error', reject);
  });
  const viaFetch = await (await fetch(`http://127.0.0.1:${port}/fetch`, { headers: { 'x-host': 'mine' } })).text();
  return [viaHttp, viaFetch];
}

const KIND_ROWS: readonly { label: string; kind: string; sendsContext: boolean; arrange: () => void }[] = [
  { label: "the client span's context() throws", kind: 'span.context', sendsContext: false, arrange: () => void installFaultTracer({ throws: ['context'] }) },
  {
    label: 'the active-span provider throws',
    kind: 'activeSpanProvider',
    sendsContext: true,
    arrange: () => {
      installFaultTracer();
      setActiveSpanProvider(() => {
        throw new Error('provider failed');
      });
    },
  },
];

const kinds = suite('C4.56 fault kinds of an outgoing call');
for (const row of KIND_ROWS) {
  kinds(`C4.56 ${row.label}: reported as ${row.kind}, not tracer.inject; each call made once with the host's headers`, async () => {
    const downstream = await new Downstream().start();
    const undo = installClients();
    resetFaults();
    row.arrange();
    const watch = new EscapeWatch();
    let replies: string[];
    try {
      replies = await callOut(downstream.port);
      await turns();
    } finally {
      watch.stop();
      setActiveSpanProvider(undefined);
      setTracer(undefined);
      undo();
      await downstream.close();
    }
    assert.equal(replies, ['/http x-host=mine', '/fetch x-host=mine'], '~> both calls answered, with their own header');
    assert.is(downstream.received.length, 2, '~> each call made once');
    assert.equal(downstream.received.map((h) => h.traceparent !== undefined), [row.sendsContext, row.sendsContext], '~> a context sent only when there is one');
    assert.equal(Object.keys(faultCounts()), [row.kind], '~> the fault is counted under its own kind only');
    const reports = watch.warnings.filter((w) => (w as { code?: string }).code === FAULT_WARNING_CODE).map((w) => w.message);
    assert.equal(reports.map((m) => m.split(' threw')[0]), [`ts-traced: ${row.kind}`], '~> one report, naming the kind');
  });
}
kinds.run();
