/**
 * BullMQ over the real Redis (127.0.0.1:6379, REDIS_HOST/REDIS_PORT override): `Queue.add` and the `Worker`
 * processor joined in one trace through BullMQ's telemetry option, failures, redaction, hooks, and `bullmq.install`
 * for queues created without the option. Queue names are unique per run.
 */
import { randomBytes } from 'node:crypto';
import { Queue, QueueBase, Worker, type Job, type Processor } from 'bullmq';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bullmq, bullmqTelemetry, type BullmqOptions } from '../../../src/runtime/clients/bullmq';
import { FAULT_WARNING_CODE, faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { installDevTracer } from '../../helpers/dev-tracer';
import { installFaultTracer, type FaultPlan } from '../../helpers/fault-tracer';
import type { RecordedSpan } from '../../helpers/mock-tracer';
import { installPropagatingTracer } from '../../helpers/propagating-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';
import { EscapeWatch, turns } from '../../reliability/support';

const connection = { host: SERVICES.redis.host, port: SERVICES.redis.port, maxRetriesPerRequest: null };
const run = randomBytes(4).toString('hex');
let queues = 0;
const queueName = () => `ts-traced-bullmq-${run}-${++queues}`;

const byKind = (tracer: { started: RecordedSpan[] }, kind: string) => tracer.started.filter((s) => s.tags['span.kind'] === kind);

/** A queue and a worker on a fresh queue name (`own: null`: no telemetry option); `settled` resolves with the job once the worker finished it. */
async function pipeline<R>(
  processor: Processor<unknown, R>,
  own: ReturnType<typeof bullmqTelemetry> | null = bullmqTelemetry(),
) {
  const telemetry = own ?? undefined;
  const name = queueName();
  const queue = new Queue(name, { connection, telemetry });
  const worker = new Worker(name, processor, { connection, telemetry, autorun: true });
  const settled = new Promise<{ job: Job; outcome: 'completed' | 'failed' }>((resolve) => {
    worker.on('completed', (job) => setImmediate(() => resolve({ job, outcome: 'completed' })));
    worker.on('failed', (job) => setImmediate(() => resolve({ job: job!, outcome: 'failed' })));
  });
  await worker.waitUntilReady();
  const close = async () => {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  };
  return { name, queue, worker, settled, close };
}

async function main(): Promise<void> {
  const up = await serviceAvailable('redis');

  // -------------------------------------------------------------------------------------------------------------
  const telemetry = suite('bullmqTelemetry');
  const it = up ? telemetry : telemetry.skip;
  telemetry.after.each(() => setTracer(undefined));

  it('Queue.add is a producer span; the processor runs in a consumer span of the same trace; job data is unchanged', async () => {
    const tracer = installPropagatingTracer();
    const inside: unknown[] = [];
    const p = await pipeline(async (job) => {
      inside.push(activeSpan());
      await new Promise((r) => setTimeout(r, 5));
      inside.push(activeSpan());
      return { seen: job.data };
    });
    const parent = tracer.startSpan('parent');
    const data = { orderId: 7, items: ['a'] };
    const added = await withSpan(parent, () => p.queue.add('charge', data));
    const { job, outcome } = await p.settled;
    await p.close();
    assert.is(outcome, 'completed');
    assert.equal(job.data, { orderId: 7, items: ['a'] }, '~> the processor saw the data as added');
    assert.equal(job.returnvalue, { seen: data });
    assert.type(job.opts.telemetry?.metadata, 'string');
    const [producer] = byKind(tracer, 'producer');
    const [consumer] = byKind(tracer, 'consumer');
    assert.is(producer.name, `add ${p.name}.charge`);
    assert.is(producer.parent, parent);
    assert.equal(
      [producer.tags.component, producer.tags['message_bus.destination'], producer.tags['bullmq.job.name'], producer.tags['bullmq.job.id']],
      ['bullmq', p.name, 'charge', added.id],
    );
    assert.is(consumer.name, `process ${p.name}`);
    assert.is(consumer.parent, producer, '~> one trace across Redis');
    assert.equal(inside, [consumer, consumer], '~> active in the processor, also after an await');
    assert.equal([consumer.tags['bullmq.job.id'], consumer.finishCount, producer.finishCount], [added.id, 1, 1]);
  });

  it('with the DevTracer the job carries a W3C traceparent and the worker joins the producer trace', async () => {
    const { finished } = installDevTracer();
    const p = await pipeline(async () => 'ok');
    await p.queue.add('w3c', {});
    const { job } = await p.settled;
    await p.close();
    const producer = finished.find((s) => s.tags['span.kind'] === 'producer')!;
    const consumer = finished.find((s) => s.tags['span.kind'] === 'consumer')!;
    const carried = JSON.parse(String(job.opts.telemetry?.metadata)) as Record<string, string>;
    assert.match(carried.traceparent, new RegExp(`^00-${producer.traceId}-${producer.spanId}-0[0-3]$`));
    assert.equal([consumer.traceId, consumer.parentId], [producer.traceId, producer.spanId]);
  });

  it('a job added outside any trace is processed in a new trace, not under the span the worker was created in', async () => {
    const tracer = installPropagatingTracer();
    const ambient = tracer.startSpan('ambient');
    const p = await withSpan(ambient, () => pipeline(async () => 'ok'));
    setTracer(undefined);
    await p.queue.add('plain', {});
    setTracer(tracer);
    await p.settled;
    await p.close();
    const [consumer] = byKind(tracer, 'consumer');
    assert.is(consumer.parent, undefined);
  });

  it("a failing processor marks the consumer span; BullMQ's own failure handling is unchanged", async () => {
    const tracer = installPropagatingTracer();
    const p = await pipeline(async () => {
      throw new RangeError('card declined');
    });
    await p.queue.add('charge', {}, { attempts: 1 });
    const { job, outcome } = await p.settled;
    await p.close();
    assert.is(outcome, 'failed');
    assert.is(job.failedReason, 'card declined');
    const [consumer] = byKind(tracer, 'consumer');
    assert.equal([consumer.tags.error, consumer.finishCount], [true, 1]);
  });

  it("BullMQ's internal operations are not spans unless asked for", async () => {
    const tracer = installPropagatingTracer();
    const p = await pipeline(async () => 'ok');
    await p.queue.add('quiet', {});
    await p.settled;
    await p.close();
    assert.equal(tracer.started.map((s) => s.name.split(' ')[0]).sort(), ['add', 'process']);
    const verbose = await pipeline(async () => 'ok', bullmqTelemetry({ internalSpans: true }));
    await verbose.queue.add('loud', {});
    await verbose.settled;
    await verbose.close();
    const internal = tracer.started.filter((s) => !/^(add|process) /.test(s.name));
    assert.ok(internal.some((s) => s.name.startsWith('moveStalledJobsToWait')), '~> internal spans with internalSpans: true');
    assert.ok(internal.every((s) => s.tags['span.kind'] === undefined && s.tags.component === 'bullmq'));
  });

  it('C7.90 job data, results and options are not recorded', async () => {
    const tracer = installPropagatingTracer();
    const secret = secretMarker();
    const p = await pipeline(async (job) => ({ token: secret, echo: job.data }));
    await p.queue.add('secret', { password: secret }, { jobId: `id-${run}-${queues}` });
    const { job } = await p.settled;
    await p.close();
    assert.is((job.returnvalue as { token: string }).token, secret);
    assert.equal(findMarker(tracer.started, secret), []);
  });

  it('hooks see each span; throwing hooks and a throwing inject do no harm', async () => {
    const tracer = installPropagatingTracer();
    resetFaults();
    const seen: string[] = [];
    const hooked: BullmqOptions = {
      requestHook: (span, info) => seen.push(`start ${info.kind}`),
      responseHook: (span, info) => seen.push(`end ${info.kind}`),
    };
    const p = await pipeline(async () => 'ok', bullmqTelemetry(hooked));
    await p.queue.add('hooked', {});
    await p.settled;
    await p.close();
    assert.equal(seen, ['start producer', 'end producer', 'start consumer', 'end consumer']);
    const boom = () => {
      throw new Error('hook broke');
    };
    (tracer as any)._inject = () => {
      throw new Error('inject broke');
    };
    const broken = await pipeline(async () => 'still ok', bullmqTelemetry({ requestHook: boom, responseHook: boom }));
    await broken.queue.add('broken', {});
    const { job, outcome } = await broken.settled;
    await broken.close();
    assert.equal([outcome, job.returnvalue], ['completed', 'still ok']);
    assert.equal([faultCounts()['hook.requestHook'], faultCounts()['hook.responseHook']], [2, 2], '~> producer and consumer');
  });

  const FAULT_ROWS: readonly { label: string; kind: string; plan: FaultPlan }[] = [
    { label: "C4.56 the producer span's context() throws", kind: 'span.context', plan: { throws: ['context'] } },
    { label: 'C4.57 tracer.inject throws', kind: 'tracer.inject', plan: { throws: ['inject'] } },
  ];
  for (const row of FAULT_ROWS) {
    it(`${row.label}: reported as ${row.kind}; the job keeps its data and is processed as untraced`, async () => {
      resetFaults();
      installFaultTracer(row.plan);
      const watch = new EscapeWatch();
      let settled: { job: Job; outcome: string };
      try {
        const p = await pipeline(async (job) => ({ seen: job.data }));
        await p.queue.add('faulty', { n: 1 });
        settled = await p.settled;
        await p.close();
        await turns();
      } finally {
        watch.stop();
      }
      const { job, outcome } = settled;
      assert.equal([outcome, job.data, job.returnvalue], ['completed', { n: 1 }, { seen: { n: 1 } }]);
      assert.is(job.opts.telemetry?.metadata, undefined, '~> no context stored with the job');
      assert.equal(Object.keys(faultCounts()), [row.kind], '~> counted under its own kind only');
      const reports = watch.warnings.filter((w) => (w as { code?: string }).code === FAULT_WARNING_CODE).map((w) => w.message);
      assert.equal(reports.map((m) => m.split(' threw')[0]), [`ts-traced: ${row.kind}`], '~> one report, naming the kind');
      assert.equal([watch.unhandled, watch.uncaught], [[], []], '~> 0 escapes');
    });
  }

  it('with no tracer set, no context is stored with the job and it is processed as usual', async () => {
    setTracer(undefined);
    const p = await pipeline(async () => 'done');
    await p.queue.add('untraced', { n: 1 });
    const { job, outcome } = await p.settled;
    await p.close();
    assert.equal([outcome, job.returnvalue, job.opts.telemetry], ['completed', 'done', undefined]);
  });

  telemetry.run();

  // -------------------------------------------------------------------------------------------------------------
  const installed = suite('bullmq');
  const ii = up ? installed : installed.skip;
  installed.after.each(() => {
    bullmq.uninstall();
    setTracer(undefined);
  });

  ii('queues and workers created without a telemetry option are traced once installed (twice changes nothing)', async () => {
    const tracer = installPropagatingTracer();
    bullmq.install();
    bullmq.install();
    const p = await pipeline(async () => 'ok', null);
    await p.queue.add('auto', {});
    await p.settled;
    await p.close();
    const [producer] = byKind(tracer, 'producer');
    const [consumer] = byKind(tracer, 'consumer');
    assert.equal([byKind(tracer, 'producer').length, byKind(tracer, 'consumer').length], [1, 1]);
    assert.is(consumer.parent, producer);
  });

  ii('uninstall restores QueueBase.prototype.trace and stops tracing', async () => {
    const original = QueueBase.prototype.trace;
    const tracer = installPropagatingTracer();
    bullmq.install();
    assert.is.not(QueueBase.prototype.trace, original);
    bullmq.uninstall();
    assert.is(QueueBase.prototype.trace, original);
    const p = await pipeline(async () => 'ok', null);
    await p.queue.add('after', {});
    await p.settled;
    await p.close();
    assert.is(tracer.started.length, 0);
  });

  ii('declares the BullMQ major it supports', () => {
    assert.is(bullmq.supported, '6.x');
    assert.ok(bullmq.isPresent());
  });

  installed.run();
}

void main();
