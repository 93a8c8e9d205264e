/**
 * node-redis against the real Redis on 127.0.0.1: a span per command (named commands and `sendCommand`), one per
 * MULTI and per pipeline, pub/sub with a real subscriber, failures (reply errors, closed clients, lost
 * connections), the library's own error behaviour, hooks, install/uninstall, and that command arguments (and
 * published messages) never reach a span unless asked for.
 */
import { randomBytes } from 'node:crypto';
import { createClient, RedisClient } from 'redis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { redis } from '../../../src/runtime/clients/redis';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { closedPort } from '../../helpers/closed-port';
import { installRecordingTracer, RecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';
import { untracedThenTraced } from '../../helpers/untraced-then-traced';

const { host, port } = SERVICES.redis;
const prefix = `ts-traced:redis:${randomBytes(4).toString('hex')}:`;
const key = (name: string) => `${prefix}${name}`;

const proto = RedisClient.prototype as unknown as Record<string, unknown>;
const snapshot = () => ({
  sendCommand: proto.sendCommand,
  _executeCommand: proto._executeCommand,
  _executeMulti: proto._executeMulti,
  _executePipeline: proto._executePipeline,
  connect: proto.connect,
});
const originals = snapshot();

type Client = ReturnType<typeof createClient>;
async function connected(options: Parameters<typeof createClient>[0] = {}): Promise<Client> {
  const client = createClient({ socket: { host, port, reconnectStrategy: false }, ...options });
  client.on('error', () => {}); // the client's own event, as an app would handle it
  await client.connect();
  return client;
}
const firstFrame = (error: unknown) => String((error as Error).stack).split('\n').find((l) => l.trim().startsWith('at '));
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisSpans = (tracer: { started: RecordedSpan[] }) => tracer.started.filter((s) => s.tags.component === 'redis');

async function main(): Promise<void> {
  const up = await serviceAvailable('redis');
  let client: Client;

  // -------------------------------------------------------------------------------------------------------------
  const commands = suite('redis commands');
  const it = up ? commands : commands.skip;
  commands.before(async () => {
    if (!up) return;
    redis.install();
    client = await connected();
  });
  commands.after.each(() => setTracer(undefined));

  it('a command is a child span of the caller named by the command, with the OpenTracing tags, finished once', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const reply = await withSpan(parent, () => client.set(key('a'), 'value'));
    assert.is(reply, 'OK');
    const [span] = redisSpans(tracer);
    assert.is(span.parent, parent);
    assert.is(span.name, 'SET');
    assert.equal(
      { ...span.tags },
      {
        'span.kind': 'client',
        component: 'redis',
        'db.type': 'redis',
        'db.instance': '0',
        'db.statement': 'SET',
        'peer.hostname': host,
        'peer.port': port,
      },
    );
    assert.is(span.finishCount, 1);
  });

  it('sendCommand([...]) is traced the same way and resolves to the same reply', async () => {
    const tracer = installRecordingTracer();
    await client.set(key('raw'), 'r');
    assert.is(await client.sendCommand(['GET', key('raw')]), 'r');
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.finishCount]), [
      ['SET', 1],
      ['GET', 1],
    ]);
  });

  it('MULTI and execAsPipeline are one span each listing their commands; the commands get none of their own', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const multi = await withSpan(parent, () => client.multi().set(key('m'), 'x').get(key('m')).exec());
    const pipeline = await withSpan(parent, () => client.multi().incr(key('n')).get(key('m')).execAsPipeline());
    assert.equal(multi, ['OK', 'x']);
    assert.equal(pipeline, [1, 'x']);
    assert.equal(
      redisSpans(tracer).map((s) => [s.name, s.tags['db.statement'], s.tags['db.operation.batch.size'], s.parent === (parent as unknown), s.finishCount]),
      [
        ['MULTI', 'SET\nGET', 2, true, 1],
        ['PIPELINE', 'INCR\nGET', 2, true, 1],
      ],
    );
  });

  it('db.instance is the database the client selects', async () => {
    const tracer = installRecordingTracer();
    const other = await connected({ database: 1 });
    try {
      await other.ping();
    } finally {
      other.destroy();
    }
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.tags['db.instance']]), [['PING', '1']]);
  });

  it('no tracer: commands run as node-redis runs them and nothing is recorded', async () => {
    const tracer = installRecordingTracer();
    setTracer(undefined);
    assert.is(await client.echo('hi'), 'hi');
    assert.is(tracer.started.length, 0);
  });

  commands.after(async () => {
    if (!up) return;
    await client.del([key('a'), key('raw'), key('m'), key('n')]);
    client.destroy();
  });
  commands.run();

  // -------------------------------------------------------------------------------------------------------------
  const pubsub = suite('redis pub/sub');
  const pt = up ? pubsub : pubsub.skip;
  pubsub.before(async () => {
    if (!up) return;
    redis.install();
    client = await connected();
  });
  pubsub.after.each(() => setTracer(undefined));

  /**
   * A subscriber (`client.duplicate()`) connected inside a start-up span, listening on a channel, a pattern, a
   * channel in buffer mode and a sharded channel; one message published to each, then all unsubscribed. What the
   * listeners got, with the span active in them, and what the publishes answered.
   */
  const subscriberScenario = async () => {
    const startup = new RecordingTracer().startSpan('startup');
    const subscriber = client.duplicate();
    subscriber.on('error', () => {});
    await withSpan(startup, () => subscriber.connect());
    const heard: unknown[] = [];
    const active: unknown[] = [];
    const listener = (kind: string) => (message: string | Buffer, channel: string | Buffer) => {
      heard.push([kind, String(message), String(channel), Buffer.isBuffer(message)]);
      active.push(activeSpan() === startup ? 'startup' : (activeSpan() ?? 'none'));
    };
    await subscriber.subscribe(key('ch'), listener('channel'));
    await subscriber.pSubscribe(key('p*'), listener('pattern'));
    await subscriber.subscribe(key('buf'), listener('buffer'), true);
    await subscriber.sSubscribe(key('shard'), listener('sharded'));
    const receivers = [
      await client.publish(key('ch'), 'one'),
      await client.publish(key('pq'), 'two'),
      await client.publish(key('buf'), 'three'),
      await client.sPublish(key('shard'), 'four'),
    ];
    for (let i = 0; i < 100 && heard.length < 4; i++) await settle(10);
    await subscriber.unsubscribe();
    await subscriber.pUnsubscribe();
    await subscriber.sUnsubscribe();
    receivers.push(await client.publish(key('ch'), 'unheard'));
    assert.is(await subscriber.ping(), 'PONG', '~> the subscriber still answers commands');
    subscriber.destroy();
    return { heard, active, receivers };
  };

  pt('messages reach the listeners exactly as untraced; PUBLISH is a command span, SUBSCRIBE none, every span ends', async () => {
    const { untraced, traced, tracer } = await untracedThenTraced(redis, subscriberScenario);
    assert.equal(untraced.heard, [
      ['channel', 'one', key('ch'), false],
      ['pattern', 'two', key('pq'), false],
      ['buffer', 'three', key('buf'), true],
      ['sharded', 'four', key('shard'), false],
    ]);
    assert.equal(untraced.receivers, [1, 1, 1, 1, 0]);
    assert.equal([traced.heard, traced.receivers], [untraced.heard, untraced.receivers]);
    assert.equal(
      redisSpans(tracer).map((s) => [s.name, s.tags['db.statement'], s.finishCount]),
      [
        ['PUBLISH', 'PUBLISH', 1],
        ['PUBLISH', 'PUBLISH', 1],
        ['PUBLISH', 'PUBLISH', 1],
        ['SPUBLISH', 'SPUBLISH', 1],
        ['PUBLISH', 'PUBLISH', 1],
        ['PING', 'PING', 1],
      ],
      '~> no channel name or message, no span for the (un)subscriptions',
    );
    assert.equal(untraced.active, ['startup', 'startup', 'startup', 'startup'], '~> untraced: the span active where it connected');
    assert.equal(traced.active, ['none', 'none', 'none', 'none'], '~> traced: no span, so what a listener traces starts a trace of its own');
  });

  pt('a command sent from a listener is not a child of the span active where the subscriber connected', async () => {
    const tracer = installRecordingTracer();
    const startup = tracer.startSpan('startup');
    const subscriber = client.duplicate();
    subscriber.on('error', () => {});
    await withSpan(startup, () => subscriber.connect());
    const replied = new Promise((resolve) => subscriber.subscribe(key('work'), (message) => resolve(client.echo(message))));
    await client.publish(key('work'), 'job');
    assert.is(await replied, 'job');
    subscriber.destroy();
    const echo = redisSpans(tracer).find((s) => s.name === 'ECHO');
    assert.equal([echo?.parent, echo?.finishCount], [undefined, 1]);
  });

  pt('SUBSCRIBE sent raw through sendCommand gets no span (node-redis never settles it with its reply); the rest as untraced', async () => {
    const scenario = async () => {
      const raw = client.duplicate();
      raw.on('error', () => {});
      await raw.connect();
      const pending = raw.sendCommand(['SUBSCRIBE', key('raw')]).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.constructor.name}`,
      );
      const early = await Promise.race([pending, settle(100).then(() => 'pending')]);
      raw.destroy();
      return [early, await pending];
    };
    const { untraced, traced, tracer } = await untracedThenTraced(redis, scenario);
    assert.equal(untraced, ['pending', 'rejected: DisconnectsClientError']);
    assert.equal(traced, untraced);
    assert.equal(redisSpans(tracer).length, 0);
  });

  pubsub.after(() => {
    if (!up) return;
    client.destroy();
  });
  pubsub.run();

  // -------------------------------------------------------------------------------------------------------------
  const errors = suite('redis errors');
  const et = up ? errors : errors.skip;
  errors.before(async () => {
    if (!up) return;
    redis.install();
    client = await connected();
    await client.hSet(key('hash'), 'f', 'v');
  });
  errors.after.each(() => setTracer(undefined));

  const outcome = (error: unknown) => {
    const e = error as { constructor: unknown; message: string };
    return { type: e.constructor, message: e.message, frame: firstFrame(error) };
  };

  et("a reply error rejects with node-redis's own error (class, message, first frame); the span records it once", async () => {
    const attempt = () => client.get(key('hash')).then(outcome, outcome);
    const { untraced, traced, tracer } = await untracedThenTraced(redis, attempt);
    assert.equal(traced, untraced);
    assert.match(untraced.message, /^WRONGTYPE/);
    const [span] = redisSpans(tracer);
    assert.equal([span.tags.error, span.logs[0].event, span.logs[0].message, span.finishCount], [true, 'error', untraced.message, 1]);
  });

  et('a failing sendCommand([...]) rejects as untraced', async () => {
    const attempt = () => client.sendCommand(['INCR', key('hash')]).then(outcome, outcome);
    const { untraced, traced, tracer } = await untracedThenTraced(redis, attempt);
    assert.equal(traced, untraced);
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.tags.error, s.finishCount]), [['INCR', true, 1]]);
  });

  et('unawaited failing commands (named and sendCommand) still reach unhandledRejection exactly as untraced (case 29)', async () => {
    const count = async () => {
      const seen: unknown[] = [];
      const listener = (reason: unknown) => seen.push(reason);
      process.on('unhandledRejection', listener);
      void client.incr(key('hash'));
      void client.sendCommand(['INCR', key('hash')]);
      for (let i = 0; i < 100 && seen.length < 2; i++) await settle(10);
      await settle(20);
      process.off('unhandledRejection', listener);
      return seen.map((e) => (e as Error).message.split(' ')[0]);
    };
    const { untraced, traced, tracer } = await untracedThenTraced(redis, count);
    assert.equal(untraced, ['WRONGTYPE', 'WRONGTYPE']);
    assert.equal(traced, untraced);
    assert.equal(redisSpans(tracer).map((s) => [s.tags.error, s.finishCount]), [
      [true, 1],
      [true, 1],
    ]);
  });

  et('a MULTI with a failing command rejects as untraced; the MULTI span is failed with that error', async () => {
    const attempt = () =>
      client
        .multi()
        .set(key('ok'), '1')
        .incr(key('hash'))
        .exec()
        .then(outcome, (e: Error & { replies?: unknown[] }) => ({ ...outcome(e), replies: e.replies?.length }));
    const { untraced, traced, tracer } = await untracedThenTraced(redis, attempt);
    assert.equal(traced, untraced);
    const [span] = redisSpans(tracer);
    assert.equal([span.name, span.tags.error, span.finishCount], ['MULTI', true, 1]);
    assert.match(String(span.logs[0].message), /^WRONGTYPE/);
  });

  et('a client that could not connect: its command rejects as untraced and the span fails once', async () => {
    const closed = await closedPort();
    const attempt = async () => {
      const refused = createClient({ socket: { host, port: closed, reconnectStrategy: false } });
      refused.on('error', () => {});
      const connectError = await refused.connect().then(
        () => 'connected',
        (e: Error & { code?: string }) => e.code,
      );
      const command = await refused.get(key('x')).then(
        () => 'resolved',
        (e: Error) => e.constructor.name,
      );
      return [connectError, command];
    };
    redis.uninstall();
    const untraced = await attempt();
    redis.install();
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const traced = await withSpan(parent, attempt);
    assert.equal(untraced, ['ECONNREFUSED', 'ClientClosedError']);
    assert.equal(traced, untraced);
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.parent, s.tags.error, s.tags['peer.port'], s.finishCount]), [
      ['GET', parent, true, closed, 1],
    ]);
  });

  et('the server dropping the connection mid-command: the command fails as untraced, its span fails once (case 74)', async () => {
    const scenario = async () => {
      const victim = await connected();
      const id = await victim.clientId();
      const blocked = victim.blPop(key('never'), 5).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.constructor.name}`,
      );
      await settle(50);
      await client.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
      const result = await blocked;
      victim.destroy();
      return result;
    };
    const { untraced, traced, tracer } = await untracedThenTraced(redis, scenario);
    assert.equal(traced, untraced);
    const blpop = redisSpans(tracer).find((s) => s.name === 'BLPOP');
    assert.equal([blpop?.tags.error, blpop?.finishCount], [true, 1]);
  });

  errors.after(async () => {
    if (!up) return;
    await client.del([key('hash'), key('ok')]);
    client.destroy();
  });
  errors.run();

  // -------------------------------------------------------------------------------------------------------------
  const hooks = suite('redis hooks');
  const ht = up ? hooks : hooks.skip;
  hooks.before(async () => {
    if (!up) return;
    redis.uninstall(); // each test installs with its own options
    client = await connected();
  });
  hooks.after.each(() => {
    redis.uninstall();
    setTracer(undefined);
  });

  ht('requestHook sees the command and its arguments, responseHook the reply; batches pass their commands', async () => {
    const tracer = installRecordingTracer();
    const requests: unknown[] = [];
    const responses: unknown[] = [];
    redis.install({
      peerService: 'cache',
      requestHook: (span, request) => {
        requests.push(request);
        span.setTag('app.request', true);
      },
      responseHook: (_span, response) => responses.push(response),
    });
    await client.set(key('h'), 'v');
    await client.multi().get(key('h')).exec();
    assert.equal(requests, [{ args: ['SET', key('h'), 'v'] }, [{ args: ['GET', key('h')] }]]);
    assert.equal(responses, ['OK', ['v']]);
    assert.equal(redisSpans(tracer).map((s) => [s.tags['app.request'], s.tags['peer.service']]), [
      [true, 'cache'],
      [true, 'cache'],
    ]);
    await client.del(key('h'));
  });

  ht('throwing hooks do no harm: same reply, span finished, each fault counted', async () => {
    const tracer = installRecordingTracer();
    resetFaults();
    redis.install({
      requestHook: () => {
        throw new Error('request hook broke');
      },
      responseHook: () => {
        throw new Error('response hook broke');
      },
    });
    assert.is(await client.echo('still'), 'still');
    assert.equal(redisSpans(tracer).map((s) => s.finishCount), [1]);
    const faults = faultCounts();
    assert.equal([faults['hook.redis.request'], faults['hook.redis.response']], [1, 1]);
  });

  hooks.after(() => {
    if (!up) return;
    client.destroy();
  });
  hooks.run();

  // -------------------------------------------------------------------------------------------------------------
  const secrets = suite('redis secrets');
  const st = up ? secrets : secrets.skip;
  secrets.after.each(() => {
    redis.uninstall();
    setTracer(undefined);
  });

  const plantAll = async (secret: string) => {
    const r = await connected();
    try {
      await r.set(key('s'), secret);
      await r.hSet(key('sh'), 'field', secret);
      await r.get(key('s'));
      await r.sendCommand(['APPEND', key('s'), secret]);
      await r.eval('return ARGV[1]', { arguments: [secret] });
      await r.multi().set(key('s2'), secret).lPush(key('sl'), secret).exec();
      await r.multi().set(key('s3'), secret).hSet(key('sh'), 'other', secret).execAsPipeline();
      await r.sendCommand(['TS-TRACED-BOGUS', secret]).catch(() => 'ERR unknown command echoes its arguments');
      await r.sendCommand(['AUTH', secret]).catch(() => 'AUTH with a password that is not configured');
      await r.publish(key(secret), secret);
      await r.sPublish(key(secret), secret);
      await r.incr(key('s')).catch(() => 'a reply error on a key holding the secret');
      await r.del([key('s'), key('s2'), key('s3'), key('sh'), key('sl')]);
    } finally {
      r.destroy();
    }
  };

  st('command arguments appear nowhere in names, tags or logs, failing commands included (C7.90)', async () => {
    const tracer = installRecordingTracer();
    redis.install();
    const secret = secretMarker();
    await plantAll(secret);
    assert.ok(redisSpans(tracer).length >= 13, '~> every command, batch and publish was traced');
    assert.ok(redisSpans(tracer).filter((s) => s.tags.error).length >= 2, '~> including the failing ones');
    assert.equal(findMarker(tracer.started, secret), []);
  });

  st('recordArguments: true records them in db.statement (the sweep above can find them)', async () => {
    const tracer = installRecordingTracer();
    redis.install({ recordArguments: true });
    const secret = secretMarker();
    const r = await connected();
    try {
      await r.set(key('r'), secret);
      await r.multi().get(key('r')).del(key('r')).exec();
    } finally {
      r.destroy();
    }
    assert.equal(redisSpans(tracer).map((s) => s.tags['db.statement']), [
      `SET ${key('r')} ${secret}`,
      `GET ${key('r')}\nDEL ${key('r')}`,
    ]);
    assert.ok(findMarker(tracer.started, secret).length > 0);
  });
  secrets.run();

  // -------------------------------------------------------------------------------------------------------------
  const lifecycle = suite('redis.install / redis.uninstall');
  const lt = up ? lifecycle : lifecycle.skip;
  lifecycle.after.each(() => setTracer(undefined));

  lt('installing twice changes nothing: same patched functions, one span per command', async () => {
    redis.install();
    const once = snapshot();
    redis.install({ peerService: 'ignored' });
    assert.equal(snapshot(), once);
    assert.is.not(once.sendCommand, originals.sendCommand, '~> it is patched');
    const tracer = installRecordingTracer();
    const r = await connected();
    await r.echo('once');
    r.destroy();
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.tags['peer.service']]), [['ECHO', undefined]]);
  });

  lt("uninstall restores node-redis's own functions, and a Multi made while installed stops recording", async () => {
    redis.install();
    const r = await connected();
    const pending = r.multi().echo('kept'); // holds the patched _executeMulti, bound
    redis.uninstall();
    assert.equal(snapshot(), originals);
    assert.is(redis.installed, false);
    const tracer = installRecordingTracer();
    await r.echo('plain');
    await r.multi().echo('plain').exec();
    assert.equal(await pending.exec(), ['kept']);
    r.destroy();
    assert.is(tracer.started.length, 0);
  });

  lifecycle('declares the supported major versions', () => {
    assert.equal([redis.name, redis.supported], ['redis', '5.x, 6.x']);
  });
  lifecycle.run();
}

void main();
