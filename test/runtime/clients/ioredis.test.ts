/**
 * ioredis against the real Redis on 127.0.0.1: a span per command (promise and callback forms, also when sent
 * before the connection is ready), one per pipeline and per transaction, pub/sub with a real subscriber, failures
 * (reply errors, refused and lost connections), the library's own error behaviour, hooks, install/uninstall, and
 * that command arguments never reach a span unless asked for.
 */
import { randomBytes } from 'node:crypto';
import Redis, { Pipeline } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ioredis } from '../../../src/runtime/clients/ioredis';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { closedPort } from '../../helpers/closed-port';
import { installRecordingTracer, RecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';
import { untracedThenTraced } from '../../helpers/untraced-then-traced';

const { host, port } = SERVICES.redis;
const prefix = `ts-traced:ioredis:${randomBytes(4).toString('hex')}:`;
const key = (name: string) => `${prefix}${name}`;

const redisProto = Redis.prototype as unknown as Record<string, unknown>;
const pipelineProto = Pipeline.prototype as unknown as Record<string, unknown>;
const snapshot = () => ({ sendCommand: redisProto.sendCommand, connect: redisProto.connect, exec: pipelineProto.exec });
const originals = snapshot();

const client = (options: Record<string, unknown> = {}) => new Redis({ host, port, ...options });
const firstFrame = (error: unknown) => String((error as Error).stack).split('\n').find((l) => l.trim().startsWith('at '));
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisSpans = (tracer: { started: RecordedSpan[] }) => tracer.started.filter((s) => s.tags.component === 'ioredis');

async function main(): Promise<void> {
  const up = await serviceAvailable('redis');
  let redis: Redis;

  // -------------------------------------------------------------------------------------------------------------
  const commands = suite('ioredis commands');
  const it = up ? commands : commands.skip;
  commands.before(async () => {
    if (!up) return;
    ioredis.install();
    redis = client();
    await redis.ping();
  });
  commands.after.each(() => setTracer(undefined));

  it('a command is a child span of the caller named by the command, with the OpenTracing tags, finished once', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const reply = await withSpan(parent, () => redis.set(key('a'), 'value'));
    assert.is(reply, 'OK');
    const [span] = redisSpans(tracer);
    assert.is(span.parent, parent);
    assert.is(span.name, 'SET');
    assert.equal(
      { ...span.tags },
      {
        'span.kind': 'client',
        component: 'ioredis',
        'db.type': 'redis',
        'db.instance': '0',
        'db.statement': 'SET',
        'peer.hostname': host,
        'peer.port': port,
      },
    );
    assert.is(span.finishCount, 1);
  });

  it('callback form: called once with the reply, span ended first, the caller context inside', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    await redis.set(key('cb'), 'v');
    tracer.reset();
    const seen = await new Promise((resolve) =>
      withSpan(parent, () =>
        redis.get(key('cb'), (err, value) => resolve([err, value, activeSpan() === (parent as unknown), redisSpans(tracer)[0].finishCount])),
      ),
    );
    assert.equal(seen, [null, 'v', true, 1]);
  });

  it('a command sent before the connection is ready belongs to its caller; the handshake gets no span', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const early = await withSpan(parent, async () => {
      const fresh = client({ connectionName: 'ts-traced-early' });
      try {
        return await fresh.incr(key('early'));
      } finally {
        fresh.disconnect();
      }
    });
    assert.is(early, 1);
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.parent === (parent as unknown), s.finishCount]), [['INCR', true, 1]]);
  });

  it('a pipeline is one PIPELINE span listing its commands; they get none of their own', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const results = await withSpan(parent, () => redis.pipeline().set(key('p'), '1').get(key('p')).incr(key('p')).exec());
    assert.equal(results, [
      [null, 'OK'],
      [null, '1'],
      [null, 2],
    ]);
    const spans = redisSpans(tracer);
    assert.equal(
      spans.map((s) => [s.name, s.tags['db.statement'], s.tags['db.operation.batch.size'], s.parent === (parent as unknown), s.finishCount]),
      [['PIPELINE', 'SET\nGET\nINCR', 3, true, 1]],
    );
  });

  it('a transaction (multi) is one MULTI span; exec with a callback too', async () => {
    const tracer = installRecordingTracer();
    const viaPromise = await redis.multi().set(key('m'), 'x').get(key('m')).exec();
    const viaCallback = await new Promise((resolve) => redis.multi().get(key('m')).exec((err, res) => resolve([err, res])));
    assert.equal(viaPromise, [
      [null, 'OK'],
      [null, 'x'],
    ]);
    assert.equal(viaCallback, [null, [[null, 'x']]]);
    assert.equal(
      redisSpans(tracer).map((s) => [s.name, s.tags['db.statement'], s.tags['db.operation.batch.size'], s.finishCount]),
      [
        ['MULTI', 'SET\nGET', 2, 1],
        ['MULTI', 'GET', 1, 1],
      ],
    );
  });

  it('no tracer: commands run as ioredis runs them and nothing is recorded', async () => {
    const tracer = installRecordingTracer();
    setTracer(undefined);
    assert.is(await redis.echo('hi'), 'hi');
    assert.is(tracer.started.length, 0);
  });

  commands.after(async () => {
    if (!up) return;
    await redis.quit();
  });
  commands.run();

  // -------------------------------------------------------------------------------------------------------------
  const pubsub = suite('ioredis pub/sub');
  const pt = up ? pubsub : pubsub.skip;
  pubsub.before(async () => {
    if (!up) return;
    ioredis.install();
    redis = client();
    await redis.ping();
  });
  pubsub.after.each(() => setTracer(undefined));

  /**
   * Two subscribers made inside a start-up span: one connected by its constructor (`duplicate()`), listening on a
   * channel and a pattern, and a lazy one connected by its first SUBSCRIBE, listening in buffer mode. One message
   * published to each, then all unsubscribed. What the listeners got, with the span active in them, and what the
   * publishes answered.
   */
  const subscriberScenario = async () => {
    const startup = new RecordingTracer().startSpan('startup');
    const heard: unknown[] = [];
    const active: unknown[] = [];
    const note = (kind: string, message: string | Buffer, channel: string | Buffer) => {
      heard.push([kind, String(message), String(channel), Buffer.isBuffer(message)]);
      active.push(activeSpan() === startup ? 'startup' : (activeSpan() ?? 'none'));
    };
    const [eager, lazy] = await withSpan(startup, async () => {
      const eager = redis.duplicate();
      const lazy = client({ lazyConnect: true });
      eager.on('message', (channel, message) => note('channel', message, channel));
      eager.on('pmessage', (_pattern, channel, message) => note('pattern', message, channel));
      lazy.on('messageBuffer', (channel, message) => note('buffer', message, channel));
      await eager.subscribe(key('ch'));
      await eager.psubscribe(key('p*'));
      await lazy.subscribe(key('buf'));
      return [eager, lazy];
    });
    const receivers = [
      await redis.publish(key('ch'), 'one'),
      await redis.publish(key('pq'), 'two'),
      await redis.publish(key('buf'), 'three'),
    ];
    for (let i = 0; i < 100 && heard.length < 3; i++) await settle(10);
    // By name: ioredis 6's promise of a bare UNSUBSCRIBE never settles while patterns are subscribed too.
    await eager.unsubscribe(key('ch'));
    await eager.punsubscribe(key('p*'));
    await lazy.unsubscribe(key('buf'));
    receivers.push(await redis.publish(key('ch'), 'unheard'));
    assert.is(await eager.ping(), 'PONG', '~> the subscriber still answers commands');
    eager.disconnect();
    lazy.disconnect();
    return { heard: heard.sort((a, b) => String(a).localeCompare(String(b))), active, receivers };
  };

  pt('messages reach the listeners exactly as untraced, with no span active in them; every span ends once', async () => {
    const { untraced, traced, tracer } = await untracedThenTraced(ioredis, subscriberScenario);
    assert.equal(untraced.heard, [
      ['buffer', 'three', key('buf'), true],
      ['channel', 'one', key('ch'), false],
      ['pattern', 'two', key('pq'), false],
    ]);
    assert.equal(untraced.receivers, [1, 1, 1, 0]);
    assert.equal([traced.heard, traced.receivers], [untraced.heard, untraced.receivers]);
    assert.ok(redisSpans(tracer).length > 0 && redisSpans(tracer).every((s) => s.finishCount === 1), '~> every span finished once');
    assert.equal(untraced.active, ['startup', 'startup', 'startup'], '~> untraced: the span active where it connected');
    assert.equal(traced.active, ['none', 'none', 'none'], '~> traced: no span, so what a listener traces starts a trace of its own');
  });

  pt('a command sent from a message listener is not a child of the span active where the subscriber connected', async () => {
    const tracer = installRecordingTracer();
    const startup = tracer.startSpan('startup');
    const subscriber = withSpan(startup, () => redis.duplicate());
    const replied = new Promise((resolve) => subscriber.on('message', (_channel, message) => resolve(redis.echo(message))));
    await subscriber.subscribe(key('work'));
    await redis.publish(key('work'), 'job');
    assert.is(await replied, 'job');
    subscriber.disconnect();
    const echo = redisSpans(tracer).find((s) => s.name === 'ECHO');
    assert.equal([echo?.parent, echo?.finishCount], [undefined, 1]);
  });

  pubsub.after(async () => {
    if (!up) return;
    await redis.quit();
  });
  pubsub.run();

  // -------------------------------------------------------------------------------------------------------------
  const errors = suite('ioredis errors');
  const et = up ? errors : errors.skip;
  errors.before(async () => {
    if (!up) return;
    ioredis.install();
    redis = client();
    await redis.hset(key('hash'), 'f', 'v');
  });
  errors.after.each(() => setTracer(undefined));

  const outcome = (error: unknown) => {
    const e = error as { constructor: unknown; message: string };
    return { type: e.constructor, message: e.message, frame: firstFrame(error) };
  };

  et("a reply error rejects with ioredis's own error (class, message, first frame); the span records it once", async () => {
    const attempt = () => redis.get(key('hash')).then(outcome, outcome);
    ioredis.uninstall();
    const untraced = await attempt();
    ioredis.install();
    const tracer = installRecordingTracer();
    const traced = await attempt();
    assert.equal(traced, untraced);
    assert.match(untraced.message, /^WRONGTYPE/);
    const [span] = redisSpans(tracer);
    assert.equal([span.tags.error, span.logs[0].event, span.logs[0].message, span.logs[0]['error.kind'], span.finishCount], [
      true,
      'error',
      untraced.message,
      'ReplyError',
      1,
    ]);
  });

  et('callback form of a failing command: the callback gets the error once', async () => {
    const tracer = installRecordingTracer();
    const calls: unknown[] = [];
    await new Promise<void>((resolve) =>
      redis.incr(key('hash'), (err) => {
        calls.push((err as Error).message.split(' ')[0]);
        resolve();
      }),
    );
    await settle(10);
    assert.equal(calls, ['WRONGTYPE']);
    assert.equal(redisSpans(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('a pipeline with a failing command resolves as untraced; its span is failed with that error', async () => {
    const attempt = () => redis.pipeline().get(key('hash')).echo('after').exec();
    ioredis.uninstall();
    const untraced = (await attempt())?.map(([e, v]) => [e && (e as Error).message, v]);
    ioredis.install();
    const tracer = installRecordingTracer();
    const traced = (await attempt())?.map(([e, v]) => [e && (e as Error).message, v]);
    assert.equal(traced, untraced);
    const [span] = redisSpans(tracer);
    assert.equal([span.name, span.tags.error, span.finishCount], ['PIPELINE', true, 1]);
    assert.match(String(span.logs[0].message), /^WRONGTYPE/);
  });

  et('an unawaited failing command still reaches unhandledRejection exactly as untraced (case 29)', async () => {
    const count = async () => {
      const seen: unknown[] = [];
      const listener = (reason: unknown) => seen.push(reason);
      process.on('unhandledRejection', listener);
      void redis.incr(key('hash'));
      for (let i = 0; i < 100 && seen.length === 0; i++) await settle(10);
      await settle(20);
      process.off('unhandledRejection', listener);
      return seen.map((e) => (e as Error).message.split(' ')[0]);
    };
    ioredis.uninstall();
    const untraced = await count();
    ioredis.install();
    const tracer = installRecordingTracer();
    const traced = await count();
    assert.equal(untraced, ['WRONGTYPE']);
    assert.equal(traced, untraced);
    assert.equal(redisSpans(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('a refused connection: the waiting command rejects as untraced and its span fails once', async () => {
    const closed = await closedPort();
    const attempt = async () => {
      const refused = client({ port: closed, retryStrategy: () => null });
      refused.on('error', () => {}); // the client's own event, as an app would handle it
      return refused.get(key('x')).then(
        () => 'resolved',
        (e: Error) => e.message,
      );
    };
    ioredis.uninstall();
    const untraced = await attempt();
    ioredis.install();
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const traced = await withSpan(parent, attempt);
    assert.equal(traced, untraced);
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.parent, s.tags.error, s.tags['peer.port'], s.finishCount]), [
      ['GET', parent, true, closed, 1],
    ]);
  });

  et('the server dropping the connection mid-command: the command fails as untraced, its span fails once (case 74)', async () => {
    const scenario = async () => {
      const victim = client({ retryStrategy: () => null });
      const events: string[] = [];
      victim.on('error', (e: Error) => events.push(`error event: ${e.message}`));
      const id = await victim.client('ID');
      const blocked = victim.blpop(key('never'), 5).then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      );
      await settle(50);
      await redis.client('KILL', 'ID', String(id));
      events.push(await blocked);
      victim.disconnect();
      return events;
    };
    ioredis.uninstall();
    const untraced = await scenario();
    ioredis.install();
    const tracer = installRecordingTracer();
    const traced = await scenario();
    assert.equal(traced, untraced);
    const blpop = redisSpans(tracer).find((s) => s.name === 'BLPOP');
    assert.equal([blpop?.tags.error, blpop?.finishCount], [true, 1]);
  });

  errors.after(async () => {
    if (!up) return;
    await redis.del(key('hash'));
    await redis.quit();
  });
  errors.run();

  // -------------------------------------------------------------------------------------------------------------
  const hooks = suite('ioredis hooks');
  const ht = up ? hooks : hooks.skip;
  hooks.before(async () => {
    if (!up) return;
    ioredis.uninstall(); // each test installs with its own options
    redis = client();
    await redis.ping();
  });
  hooks.after.each(() => {
    ioredis.uninstall();
    setTracer(undefined);
  });

  ht('requestHook sees the command and its arguments, responseHook the reply; batches pass their commands', async () => {
    const tracer = installRecordingTracer();
    const requests: unknown[] = [];
    const responses: unknown[] = [];
    ioredis.install({
      peerService: 'cache',
      requestHook: (span, request) => {
        requests.push(request);
        span.setTag('app.request', true);
      },
      responseHook: (_span, response) => responses.push(response),
    });
    await redis.set(key('h'), 'v');
    await redis.pipeline().get(key('h')).exec();
    assert.equal(requests, [
      { command: 'set', args: [key('h'), 'v'] },
      [{ command: 'get', args: [key('h')] }],
    ]);
    assert.equal(responses, ['OK', [[null, 'v']]]);
    assert.equal(redisSpans(tracer).map((s) => [s.tags['app.request'], s.tags['peer.service']]), [
      [true, 'cache'],
      [true, 'cache'],
    ]);
  });

  ht('throwing hooks do no harm: same reply, span finished, each fault counted', async () => {
    const tracer = installRecordingTracer();
    resetFaults();
    ioredis.install({
      requestHook: () => {
        throw new Error('request hook broke');
      },
      responseHook: () => {
        throw new Error('response hook broke');
      },
    });
    assert.is(await redis.echo('still'), 'still');
    assert.equal(redisSpans(tracer).map((s) => s.finishCount), [1]);
    const faults = faultCounts();
    assert.equal([faults['hook.ioredis.request'], faults['hook.ioredis.response']], [1, 1]);
  });

  hooks.after(async () => {
    if (!up) return;
    await redis.quit();
  });
  hooks.run();

  // -------------------------------------------------------------------------------------------------------------
  const secrets = suite('ioredis secrets');
  const st = up ? secrets : secrets.skip;
  secrets.after.each(() => {
    ioredis.uninstall();
    setTracer(undefined);
  });

  const plantAll = async (secret: string) => {
    const r = client();
    try {
      await r.set(key('s'), secret);
      await r.hset(key('sh'), 'field', secret);
      await r.get(key('s'));
      await new Promise((resolve) => r.append(key('s'), secret, resolve));
      await r.eval('return ARGV[1]', 0, secret);
      await r.pipeline().set(key('s2'), secret).lpush(key('sl'), secret).exec();
      await r.multi().set(key('s3'), secret).hset(key('sh'), 'other', secret).exec();
      await r.call('ts-traced-bogus', secret).catch(() => 'ERR unknown command echoes its arguments');
      await r.auth(secret).catch(() => 'AUTH with a password that is not configured');
      await r.incr(key('s')).catch(() => 'a reply error on a key holding the secret');
      await r.del(key('s'), key('s2'), key('s3'), key('sh'), key('sl'));
    } finally {
      r.disconnect();
    }
  };

  st('command arguments appear nowhere in names, tags or logs, failing commands included (C7.90)', async () => {
    const tracer = installRecordingTracer();
    ioredis.install();
    const secret = secretMarker();
    await plantAll(secret);
    assert.ok(redisSpans(tracer).length >= 11, '~> every command and batch was traced');
    assert.ok(redisSpans(tracer).filter((s) => s.tags.error).length >= 2, '~> including the failing ones');
    assert.equal(findMarker(tracer.started, secret), []);
  });

  st('recordArguments: true records them in db.statement (the sweep above can find them)', async () => {
    const tracer = installRecordingTracer();
    ioredis.install({ recordArguments: true });
    const secret = secretMarker();
    const r = client();
    try {
      await r.set(key('r'), secret);
      await r.pipeline().get(key('r')).del(key('r')).exec();
    } finally {
      r.disconnect();
    }
    assert.equal(redisSpans(tracer).map((s) => s.tags['db.statement']), [
      `SET ${key('r')} ${secret}`,
      `GET ${key('r')}\nDEL ${key('r')}`,
    ]);
    assert.ok(findMarker(tracer.started, secret).length > 0);
  });
  secrets.run();

  // -------------------------------------------------------------------------------------------------------------
  const lifecycle = suite('ioredis.install / ioredis.uninstall');
  const lt = up ? lifecycle : lifecycle.skip;
  lifecycle.after.each(() => setTracer(undefined));

  lt('installing twice changes nothing: same patched functions, one span per command', async () => {
    ioredis.install();
    const once = snapshot();
    ioredis.install({ peerService: 'ignored' });
    assert.equal(snapshot(), once);
    assert.is.not(once.sendCommand, originals.sendCommand, '~> it is patched');
    const tracer = installRecordingTracer();
    const r = client();
    await r.echo('once');
    r.disconnect();
    assert.equal(redisSpans(tracer).map((s) => [s.name, s.tags['peer.service']]), [['ECHO', undefined]]);
  });

  lt("uninstall restores ioredis's own functions, and a patched function kept aside stops recording", async () => {
    ioredis.install();
    const kept = redisProto.sendCommand as (this: Redis, command: unknown) => Promise<unknown>;
    ioredis.uninstall();
    assert.equal(snapshot(), originals);
    assert.is(ioredis.installed, false);
    const tracer = installRecordingTracer();
    const r = client();
    await r.echo('plain');
    await r.pipeline().echo('plain').exec();
    const { Command } = await import('ioredis');
    assert.is(await kept.call(r, new Command('echo', ['kept'], { replyEncoding: 'utf8' })), 'kept');
    r.disconnect();
    assert.is(tracer.started.length, 0);
  });

  lifecycle('declares the supported major versions', () => {
    assert.equal([ioredis.name, ioredis.supported], ['ioredis', '5.x, 6.x']);
  });
  lifecycle.run();
}

void main();
