/**
 * amqplib against the real RabbitMQ (127.0.0.1:5672, guest/guest, AMQP_HOST/AMQP_PORT override): producer spans
 * that inject into message headers, consumer spans that continue the trace across the broker (consumed and polled
 * with `get`), confirm channels, failures, hooks, redaction, install/uninstall, and `traceConsumer` on its own.
 * Queue names are unique per run.
 */
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import * as amqpCallback from 'amqplib/callback_api';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { amqplib, traceConsumer } from '../../../src/runtime/clients/amqplib';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { installDevTracer } from '../../helpers/dev-tracer';
import type { RecordedSpan } from '../../helpers/mock-tracer';
import { installPropagatingTracer, spanOfTraceparent } from '../../helpers/propagating-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';
import { untracedThenTraced } from '../../helpers/untraced-then-traced';

/** The library's own methods, before any install. */
const models = ['channel_model.js', 'callback_model.js'].map((f) => require(require.resolve('amqplib').replace(/channel_api\.js$/, `lib/${f}`)));
const ownMethods = () =>
  models.flatMap((m) => [m.Channel.prototype.publish, m.ConfirmChannel.prototype.publish, m.Channel.prototype.consume, m.Channel.prototype.get]);
const originals = ownMethods();

const { host, port } = SERVICES.rabbitmq;
const url = `amqp://guest:guest@${host}:${port}`;
const run = randomBytes(4).toString('hex');
let queues = 0;
const queueName = () => `ts-traced.amqplib.${run}.${++queues}`;

const byKind = (tracer: { started: RecordedSpan[] }, kind: string) => tracer.started.filter((s) => s.tags['span.kind'] === kind);

/** Resolves with the first delivery on `queue`, once `handler` (run as the consumer) has settled; then cancels. */
function consumeOnce<R>(
  channel: amqp.Channel,
  queue: string,
  handler: (msg: amqp.ConsumeMessage) => R,
): Promise<{ msg: amqp.ConsumeMessage; result: R }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no delivery on ${queue}`)), 5000);
    let tag: Promise<string> | undefined;
    const done = (msg: amqp.ConsumeMessage, result: R) =>
      setImmediate(async () => {
        clearTimeout(timer);
        await channel.cancel(await tag!);
        resolve({ msg, result });
      });
    tag = channel
      .consume(queue, (msg) => {
        if (msg === null) return;
        const result = handler(msg);
        channel.ack(msg);
        Promise.resolve(result).then(
          () => done(msg, result),
          () => done(msg, result),
        );
        return result;
      })
      .then((ok) => ok.consumerTag);
  });
}

/** Polls `queue` with `get` until a message comes (an empty queue answers `false`). */
async function getOne(channel: amqp.Channel, queue: string): Promise<amqp.GetMessage> {
  for (let i = 0; i < 100; i++) {
    const msg = await channel.get(queue, { noAck: true });
    if (msg) return msg;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no message on ${queue}`);
}

async function main(): Promise<void> {
  const up = await serviceAvailable('rabbitmq');
  let connection: amqp.ChannelModel;
  let channel: amqp.Channel;

  const open = async () => {
    connection ??= await amqp.connect(url);
    channel = await connection.createChannel();
  };
  const close = async () => {
    await channel.close().catch(() => {});
  };

  // -------------------------------------------------------------------------------------------------------------
  const patched = suite('amqplib');
  const it = up ? patched : patched.skip;
  patched.before(async () => {
    if (!up) return;
    amqplib.install();
    await open();
  });
  patched.after.each(() => setTracer(undefined));

  it('sendToQueue is a producer span that injects into the message headers; the consumer continues the trace', async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    const parent = tracer.startSpan('parent');
    const publishOptions = { headers: { 'x-app': 'kept' } };
    const ok = withSpan(parent, () => channel.sendToQueue(queue, Buffer.from('hello'), publishOptions));
    assert.is(ok, true, '~> publish result returned as is');
    assert.equal(publishOptions, { headers: { 'x-app': 'kept' } }, "~> the caller's options are not changed");
    const inside: unknown[] = [];
    const { msg } = await consumeOnce(channel, queue, async () => {
      inside.push(activeSpan());
      await new Promise((r) => setTimeout(r, 5));
      inside.push(activeSpan());
    });
    const [producer] = byKind(tracer, 'producer');
    const [consumer] = byKind(tracer, 'consumer');
    assert.is(producer.parent, parent);
    assert.equal(
      { ...producer.tags },
      {
        'span.kind': 'producer',
        component: 'amqplib',
        'message_bus.destination': queue,
        'amqp.exchange': '',
        'amqp.routing_key': queue,
      },
    );
    assert.is(msg.properties.headers?.['x-app'], 'kept');
    assert.is(spanOfTraceparent(tracer, msg.properties.headers?.traceparent), producer);
    assert.is(consumer.parent, producer, '~> one trace across the broker');
    assert.equal(inside, [consumer, consumer], '~> active in the handler, also after an await');
    assert.equal([consumer.tags['message_bus.destination'], consumer.tags['amqp.redelivered'], consumer.finishCount], [queue, false, 1]);
    assert.is(producer.finishCount, 1);
  });

  it('with the DevTracer the message carries a W3C traceparent and the consumer joins the producer trace', async () => {
    const { finished } = installDevTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('w3c'));
    const { msg } = await consumeOnce(channel, queue, () => undefined);
    const producer = finished.find((s) => s.tags['span.kind'] === 'producer')!;
    const consumer = finished.find((s) => s.tags['span.kind'] === 'consumer')!;
    assert.match(String(msg.properties.headers?.traceparent), new RegExp(`^00-${producer.traceId}-${producer.spanId}-0[0-3]$`));
    assert.equal([consumer.traceId, consumer.parentId], [producer.traceId, producer.spanId]);
  });

  it('a consumer without a propagated context starts a new trace, not a child of where it was registered', async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    const ambient = tracer.startSpan('ambient');
    const delivered = withSpan(ambient, () => consumeOnce(channel, queue, () => activeSpan()));
    setTracer(undefined);
    channel.sendToQueue(queue, Buffer.from('no context'));
    setTracer(tracer);
    await delivered;
    const [consumer] = byKind(tracer, 'consumer');
    assert.is(consumer.parent, undefined);
  });

  it('get of a message is an amqp.get consumer span, child of the producer; the caller gets the message as is', async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    const poller = tracer.startSpan('poller');
    assert.is(await withSpan(poller, () => channel.get(queue)), false, '~> an empty queue answers false');
    const parent = tracer.startSpan('parent');
    withSpan(parent, () => channel.sendToQueue(queue, Buffer.from('polled'), { headers: { 'x-app': 'kept' } }));
    const after: unknown[] = [];
    const msg = await withSpan(poller, async () => {
      const got = await getOne(channel, queue);
      after.push(activeSpan());
      return got;
    });
    assert.equal([msg.content.toString(), msg.properties.headers?.['x-app']], ['polled', 'kept']);
    assert.equal(after, [poller], "~> the caller's own span is active after the await");
    const [producer] = byKind(tracer, 'producer');
    const consumers = byKind(tracer, 'consumer');
    assert.is(consumers.length, 1, '~> empty polls record nothing');
    const [got] = consumers;
    assert.is(got.name, 'amqp.get');
    assert.is(got.parent, producer, '~> one trace across the broker');
    assert.equal(
      { ...got.tags },
      {
        'span.kind': 'consumer',
        component: 'amqplib',
        'message_bus.destination': queue,
        'amqp.exchange': '',
        'amqp.routing_key': queue,
        'amqp.redelivered': false,
      },
    );
    assert.is(got.finishCount, 1);
  });

  it('with the DevTracer a got message joins the producer trace and its span starts at the get call', async () => {
    const { tracer, finished } = installDevTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('w3c'));
    await getOne(channel, queue);
    setTracer(undefined);
    channel.sendToQueue(queue, Buffer.from('no context'));
    setTracer(tracer);
    const before = performance.now();
    const pending = channel.get(queue, { noAck: true }); // after the publish on this channel: the broker has the message
    const called = performance.now();
    assert.ok(await pending, '~> got the message on the first call');
    const producer = finished.find((s) => s.tags['span.kind'] === 'producer')!;
    const [got, untraced] = finished.filter((s) => s.name === 'amqp.get');
    assert.equal([got.traceId, got.parentId], [producer.traceId, producer.spanId]);
    assert.is(untraced.parentId, undefined, '~> no context in the message: a new trace, not a child of the caller');
    assert.ok(untraced.startedAt >= before && untraced.startedAt <= called, `~> started at the call (${before} <= ${untraced.startedAt} <= ${called})`);
    assert.ok(untraced.duration >= 0);
  });

  it('a get on a missing queue rejects as untraced and records no span', async () => {
    const queue = `${queueName()}.missing`;
    const attempt = async () => {
      const doomed = await connection.createChannel();
      doomed.on('error', () => {}); // the channel's own event, as an app would handle it
      return doomed.get(queue).then(
        () => 'resolved',
        (e: Error & { code?: number }) => [e.constructor.name, e.code, e.message],
      );
    };
    const { untraced, traced, tracer } = await untracedThenTraced(amqplib, attempt);
    assert.equal(traced, untraced);
    assert.match(String((untraced as string[])[2]), /NOT_FOUND/);
    assert.is(tracer.started.length, 0);
  });

  it('publish to an exchange names the exchange as destination and keeps the routing key', async () => {
    const tracer = installPropagatingTracer();
    const exchange = `${queueName()}.x`;
    await channel.assertExchange(exchange, 'topic', { autoDelete: true });
    channel.publish(exchange, 'orders.created', Buffer.from('{}'));
    const [producer] = byKind(tracer, 'producer');
    assert.equal([producer.tags['message_bus.destination'], producer.tags['amqp.routing_key']], [exchange, 'orders.created']);
    await channel.deleteExchange(exchange);
  });

  it('on a confirm channel the span ends when the broker confirms; the callback and waitForConfirms still work', async () => {
    const tracer = installPropagatingTracer();
    const confirm = await connection.createConfirmChannel();
    const queue = queueName();
    await confirm.assertQueue(queue, { exclusive: true });
    const acked = new Promise<unknown>((resolve) => confirm.sendToQueue(queue, Buffer.from('x'), {}, resolve));
    const [producer] = byKind(tracer, 'producer');
    assert.is(producer.finishCount, 0, '~> still open until the broker answers');
    assert.is(await acked, null);
    await confirm.waitForConfirms();
    assert.equal([producer.finishCount, producer.tags.error], [1, undefined]);
    await confirm.close();
  });

  it('a confirm publish to a missing exchange fails its span; the callback gets the error', async () => {
    const tracer = installPropagatingTracer();
    const confirm = await connection.createConfirmChannel();
    const closed = new Promise((resolve) => confirm.on('error', resolve));
    const outcome = new Promise<unknown>((resolve) => confirm.publish(`${queueName()}.missing`, 'k', Buffer.from('x'), {}, resolve));
    assert.match(String(((await closed) as Error).message), /NOT_FOUND/);
    const error = await outcome;
    assert.instance(error, Error);
    const [producer] = byKind(tracer, 'producer');
    assert.equal([producer.tags.error, producer.finishCount], [true, 1]);
    assert.is(producer.logs[0]['error.object'], error);
  });

  it('publishing on a closed channel throws the library error synchronously; the span records it once', async () => {
    const tracer = installPropagatingTracer();
    const doomed = await connection.createChannel();
    await doomed.close();
    let thrown: any;
    try {
      doomed.sendToQueue(queueName(), Buffer.from('x'));
    } catch (error) {
      thrown = error;
    }
    assert.is(thrown?.name, 'IllegalOperationError');
    assert.ok(!String(thrown.stack).split('\n')[1].includes('clients/amqplib'), '~> first frame is the library');
    const [producer] = byKind(tracer, 'producer');
    assert.equal([producer.tags.error, producer.finishCount, producer.logs[0]['error.object']], [true, 1, thrown]);
  });

  it('a rejecting async handler: the span fails and the rejection stays unhandled exactly once', async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    const reason = new Error('handler failed');
    const unhandled: unknown[] = [];
    const listener = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', listener);
    channel.sendToQueue(queue, Buffer.from('x'));
    await consumeOnce(channel, queue, async () => {
      throw reason;
    });
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', listener);
    const [consumer] = byKind(tracer, 'consumer');
    assert.equal([consumer.tags.error, consumer.finishCount, consumer.logs[0]['error.object']], [true, 1, reason]);
    assert.equal(unhandled, [reason]);
  });

  it('hooks see the publish and the delivery; throwing hooks do no harm', async () => {
    const tracer = installPropagatingTracer();
    resetFaults();
    const seen: string[] = [];
    amqplib.uninstall();
    amqplib.install({
      requestHook: (span, info) => seen.push(`publish ${info.routingKey}`),
      responseHook: (span, msg) => seen.push(`deliver ${msg.fields.routingKey}`),
    });
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('x'));
    await consumeOnce(channel, queue, () => undefined);
    channel.sendToQueue(queue, Buffer.from('polled'));
    await getOne(channel, queue);
    const boom = () => {
      throw new Error('hook broke');
    };
    amqplib.uninstall();
    amqplib.install({ requestHook: boom, responseHook: boom });
    channel.sendToQueue(queue, Buffer.from('y'));
    const { msg } = await consumeOnce(channel, queue, () => undefined);
    amqplib.uninstall();
    amqplib.install();
    assert.is(msg.content.toString(), 'y');
    assert.equal(seen, [`publish ${queue}`, `deliver ${queue}`, `publish ${queue}`, `deliver ${queue}`]);
    assert.equal([faultCounts()['hook.requestHook'], faultCounts()['hook.responseHook']], [1, 1]);
    assert.is(tracer.started.filter((s) => s.finishCount === 1).length, 6);
  });

  it("a throwing inject: the message is still published with the caller's own headers", async () => {
    const tracer = installPropagatingTracer();
    resetFaults();
    (tracer as any)._inject = () => {
      throw new Error('inject broke');
    };
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('kept'), { headers: { 'x-app': 'mine' } });
    const { msg } = await consumeOnce(channel, queue, () => undefined);
    assert.equal([msg.content.toString(), msg.properties.headers], ['kept', { 'x-app': 'mine' }]);
    assert.is(faultCounts()['tracer.inject'], 1);
  });

  it('C7.90 no message body or header value is recorded', async () => {
    const tracer = installPropagatingTracer();
    const secret = secretMarker();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    const plant = () => channel.sendToQueue(queue, Buffer.from(`{"password":"${secret}"}`), { headers: { 'x-token': secret }, correlationId: secret });
    plant();
    const { msg } = await consumeOnce(channel, queue, () => undefined);
    plant();
    const got = await getOne(channel, queue);
    assert.equal([msg.properties.headers?.['x-token'], got.properties.headers?.['x-token']], [secret, secret]);
    assert.equal(byKind(tracer, 'consumer').map((s) => s.name), ['amqp.consume', 'amqp.get'], '~> both deliveries traced');
    assert.equal(findMarker(tracer.started, secret), []);
  });

  it('the callback API is traced the same way', async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    await new Promise<void>((resolve, reject) =>
      amqpCallback.connect(url, (err, conn) => {
        if (err) return reject(err);
        conn.createChannel((err2, ch) => {
          if (err2) return reject(err2);
          ch.assertQueue(queue, { exclusive: true }, () => {
            ch.sendToQueue(queue, Buffer.from('cb'));
            ch.consume(queue, (msg) => {
              if (msg === null) return;
              ch.ack(msg);
              setImmediate(() => conn.close(() => resolve()));
            });
          });
        });
      }),
    );
    const [producer] = byKind(tracer, 'producer');
    const [consumer] = byKind(tracer, 'consumer');
    assert.is(consumer.parent, producer);
  });

  it("the callback API's get: the span ends before the callback, which runs in the caller's context", async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    const caller = tracer.startSpan('caller');
    const seen: unknown[] = [];
    await new Promise<void>((resolve, reject) =>
      amqpCallback.connect(url, (err, conn) => {
        if (err) return reject(err);
        conn.createChannel((err2, ch) => {
          if (err2) return reject(err2);
          ch.assertQueue(queue, { exclusive: true }, () => {
            ch.sendToQueue(queue, Buffer.from('cb'));
            const poll = () =>
              withSpan(caller, () =>
                ch.get(queue, { noAck: true }, (err3, msg) => {
                  if (err3) return reject(err3);
                  if (msg === false) return void setTimeout(poll, 10);
                  seen.push(msg.content.toString(), activeSpan() === caller, byKind(tracer, 'consumer').map((s) => s.finishCount));
                  setImmediate(() => conn.close(() => resolve()));
                }),
              );
            poll();
          });
        });
      }),
    );
    const [producer] = byKind(tracer, 'producer');
    const [got] = byKind(tracer, 'consumer');
    assert.equal(seen, ['cb', true, [1]]);
    assert.equal([got.name, got.parent], ['amqp.get', producer]);
  });

  it('installing twice traces once; with no tracer no header is added; uninstall restores the methods', async () => {
    const tracer = installPropagatingTracer();
    amqplib.install();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    channel.sendToQueue(queue, Buffer.from('once'));
    assert.is(byKind(tracer, 'producer').length, 1);
    setTracer(undefined);
    channel.sendToQueue(queue, Buffer.from('untraced'));
    const received: string[] = [];
    for (const msg of [await getOne(channel, queue), await getOne(channel, queue)]) {
      received.push(`${msg.content} ${msg.properties.headers?.traceparent === undefined ? 'plain' : 'injected'}`);
    }
    assert.equal(received, ['once injected', 'untraced plain'], '~> injected with a tracer, nothing without');
    assert.ok(ownMethods().every((m, i) => m !== originals[i]), '~> patched while installed');
    amqplib.uninstall();
    assert.ok(ownMethods().every((m, i) => m === originals[i]), '~> the very same functions after uninstall');
    amqplib.install();
  });

  patched.after(async () => {
    if (!up) return;
    amqplib.uninstall();
    await close();
  });
  patched.run();

  // -------------------------------------------------------------------------------------------------------------
  const manual = suite('traceConsumer');
  const mt = up ? manual : manual.skip;
  manual.before(async () => {
    if (up) await open();
  });
  manual.after.each(() => setTracer(undefined));

  mt('without the patch, continues the trace a publisher injected into the headers', async () => {
    const tracer = installPropagatingTracer();
    const queue = queueName();
    await channel.assertQueue(queue, { exclusive: true });
    const upstream = tracer.startSpan('upstream');
    const headers: Record<string, unknown> = {};
    tracer.inject(upstream.context(), 'text_map', headers);
    channel.sendToQueue(queue, Buffer.from('x'), { headers });
    let inside: unknown;
    await consumeOnce(
      channel,
      queue,
      traceConsumer(() => (inside = activeSpan()), { queue: 'jobs' }),
    );
    const [consumer] = byKind(tracer, 'consumer');
    assert.is(consumer.parent, upstream);
    assert.is(inside, consumer);
    assert.is(consumer.tags['message_bus.destination'], 'jobs');
  });

  mt('passes a cancelled consumer (null) through, keeps sync results and throws, and never wraps twice', () => {
    const tracer = installPropagatingTracer();
    const handler = (msg: amqp.ConsumeMessage | null) => (msg === null ? 'cancelled' : 'done');
    const traced = traceConsumer(handler);
    assert.is(traceConsumer(traced), traced);
    assert.is(traced(null), 'cancelled');
    const message = { fields: { routingKey: 'q' }, properties: { headers: {} } } as unknown as amqp.ConsumeMessage;
    assert.is(traced(message), 'done');
    const failure = new TypeError('sync failure');
    const throwing = traceConsumer(() => {
      throw failure;
    });
    assert.throws(() => throwing(message), (e: unknown) => e === failure);
    assert.equal(byKind(tracer, 'consumer').map((s) => [s.finishCount, s.tags.error]), [[1, undefined], [1, true]]);
  });

  manual.after(async () => {
    if (!up) return;
    await close();
    await connection.close();
  });
  manual.run();
}

void main();
