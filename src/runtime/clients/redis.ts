/**
 * redis (node-redis) 5.x–6.x: a span per command named by the command (`GET`), and one span per `multi().exec()`
 * (`MULTI`) or `execAsPipeline()` (`PIPELINE`) listing its commands, which get no spans of their own.
 *
 * node-redis 5.10+ publishes diagnostics channels (`node-redis:command`, ...), but their messages carry only
 * pre-redacted arguments and no command names for a MULTI, and with a subscriber every command builds its
 * message and a second promise even when nothing records. So this patches `RedisClient.prototype`:
 * `sendCommand` (every command goes through it), `_executeMulti` and `_executePipeline` (batches), and
 * `_executeCommand` only to tell the two callers of `sendCommand` apart. The promise a named command's
 * `sendCommand` returns is awaited inside node-redis, so the span follows it with `then`; a promise from
 * `client.sendCommand([...])` belongs to the caller, so they get a promise that settles the same way once the
 * span has ended (an unhandled rejection stays unhandled).
 *
 * Pub/sub: `PUBLISH` is a command like any other. `subscribe` and its kin do not go through `sendCommand` and get
 * no span; the same commands sent raw through `sendCommand` get none either, as node-redis hands their replies to
 * its pub/sub handling and that promise never settles with them. `connect` is patched to run with no active
 * span: the socket it opens runs node-redis's events and pub/sub listeners in the context it was opened in, so
 * the span active at connect time (a start-up function's) would otherwise parent everything a listener traces.
 */
import { Tags as OT, type Tracer } from 'opentracing';
import { reportFault } from '../safe';
import { scopeStorage } from '../scope';
import { TAG } from '../tags';
import { ClientInstallError, defineWrapper, runHook, wrapMethod } from './install';
import {
  CallSpan,
  DB_TAG,
  describeValue,
  firstError,
  Installation,
  ownerOf,
  peerTags,
  secretsOf,
  startClientSpan,
  type RedisOptions,
} from './db';

/** What `requestHook` receives: the command as node-redis sends it, arguments included (a list for a batch). */
export interface RedisRequest {
  readonly args: readonly unknown[];
}

/** `responseHook` receives the reply (for a batch, the list of replies). */
export type RedisClientOptions = RedisOptions<RedisRequest | readonly RedisRequest[], unknown>;

export const REDIS_SPAN = { pipeline: 'PIPELINE', multi: 'MULTI' } as const;

/** Commands whose replies node-redis routes to its pub/sub handling, not to the promise of a raw `sendCommand`. */
const PUBSUB_COMMANDS = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE']);

/** The parts of node-redis's client this wrapper reads. */
interface Client {
  readonly options?: { socket?: { host?: string; port?: number; path?: string }; database?: number };
}
type Callback = (...args: any[]) => unknown;

const promiseThen = Promise.prototype.then;

function baseTags(client: Client, live: Installation<RedisClientOptions>) {
  let options: Client['options'];
  try {
    options = client.options;
  } catch {
    options = undefined; // a client mid-construction
  }
  const socket = options?.socket ?? {};
  return {
    [OT.COMPONENT]: 'redis',
    [OT.DB_TYPE]: 'redis',
    [OT.DB_INSTANCE]: String(options?.database ?? 0),
    ...peerTags(socket.path ?? socket.host ?? 'localhost', socket.path ? undefined : (socket.port ?? 6379), live.options.peerService),
  };
}

/** `GET`, or with `recordArguments` the command line `SET key value` (each argument capped). */
function describeCommand(args: readonly unknown[], withArgs: boolean): string {
  const name = String(args[0]).toUpperCase();
  return withArgs && args.length > 1 ? `${name} ${args.slice(1).map(describeValue).join(' ')}` : name;
}

function start(
  name: string,
  client: Client,
  commands: readonly (readonly unknown[])[],
  batch: boolean,
  live: Installation<RedisClientOptions>,
  tracer: Tracer,
): CallSpan<unknown> | undefined {
  const withArgs = live.options.recordArguments === true;
  const tags: Record<string, string | number | boolean | undefined> = baseTags(client, live);
  tags[OT.DB_STATEMENT] = commands.map((args) => describeCommand(args, withArgs)).join('\n');
  if (batch) tags[DB_TAG.batchSize] = commands.length;
  const child = startClientSpan(name, tags, tracer);
  if (child === undefined) return undefined;
  const request = batch ? commands.map((args) => ({ args })) : { args: commands[0] };
  runHook(live.options.requestHook, child.span, request, 'hook.redis.request');
  const secrets = withArgs ? undefined : secretsOf(commands.flatMap((args) => args.slice(1)));
  return new CallSpan(child, live.options.responseHook, secrets, 'hook.redis.response');
}

/** Set while node-redis's `_executeCommand` runs synchronously: the `sendCommand` it makes is awaited inside. */
let fromExecute = false;

function markingExecuteCommand(original: Callback, live: Installation<RedisClientOptions>) {
  return function _executeCommand(this: Client): unknown {
    if (live.tracer() === undefined) return original.apply(this, arguments as unknown as unknown[]);
    fromExecute = true;
    try {
      return original.apply(this, arguments as unknown as unknown[]);
    } finally {
      fromExecute = false;
    }
  };
}

function tracedSendCommand(original: Callback, live: Installation<RedisClientOptions>) {
  return function sendCommand(this: Client, args: unknown): unknown {
    const internal = fromExecute;
    fromExecute = false;
    const tracer = live.tracer();
    if (tracer === undefined || !Array.isArray(args) || args.length === 0) return original.apply(this, arguments as unknown as unknown[]);
    const name = String(args[0]).toUpperCase();
    if (PUBSUB_COMMANDS.has(name)) return original.apply(this, arguments as unknown as unknown[]);
    let call: CallSpan<unknown> | undefined;
    try {
      call = start(name, this, [args], false, live, tracer);
    } catch (error) {
      reportFault('redis.sendCommand', error);
    }
    if (call === undefined) return original.apply(this, arguments as unknown as unknown[]);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      call.end(error);
      throw error;
    }
    return follow(result, call, internal, false);
  };
}

/**
 * Ends `call` when `result` settles. `internal`: node-redis awaits it itself, so a side branch is enough. Else
 * the caller gets a promise that settles like `result`, after the span has ended.
 */
function follow(result: unknown, call: CallSpan<unknown>, internal: boolean, batch: boolean): unknown {
  if (!(result instanceof Promise)) {
    call.child.setTag(TAG.promise, 'not-followed');
    call.child.finish();
    return result;
  }
  const ok = (value: unknown) => {
    call.end(batch ? firstError(value) : undefined, value);
    return value;
  };
  const failed = (error: unknown) => {
    call.end(error ?? new Error('command failed'));
    throw error;
  };
  if (!internal) return promiseThen.call(result, ok, failed);
  promiseThen.call(result, ok, (error: unknown) => void call.end(error ?? new Error('command failed')));
  return result;
}

/** `connect()` with no active span, for the socket it opens (see the module comment). */
function detachedConnect(original: Callback, live: Installation<RedisClientOptions>) {
  return function connect(this: Client): unknown {
    if (live.tracer() === undefined) return original.apply(this, arguments as unknown as unknown[]);
    return scopeStorage().run(undefined, Reflect.apply, original, this, arguments);
  };
}

/** `_executeMulti(commands, ...)` / `_executePipeline(commands, ...)`: awaited inside the Multi's `exec`. */
function tracedBatch(name: string, original: Callback, live: Installation<RedisClientOptions>) {
  return function batch(this: Client, commands: unknown): unknown {
    const tracer = live.tracer();
    if (tracer === undefined || !Array.isArray(commands)) return original.apply(this, arguments as unknown as unknown[]);
    let call: CallSpan<unknown> | undefined;
    try {
      const list = commands.map((c: { args?: unknown }) => (Array.isArray(c?.args) ? c.args : []));
      call = start(name, this, list, true, live, tracer);
    } catch (error) {
      reportFault(`redis.${name}`, error);
    }
    if (call === undefined) return original.apply(this, arguments as unknown as unknown[]);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      call.end(error);
      throw error;
    }
    return follow(result, call, true, true);
  };
}

export const redis = defineWrapper<RedisClientOptions>({
  name: 'redis',
  majors: [5, 6],
  patch(exports: { RedisClient?: { prototype: object } }, options) {
    const client = ownerOf(exports.RedisClient?.prototype, 'sendCommand');
    const missing = ['_executeCommand', '_executeMulti', '_executePipeline'].filter((k) => typeof client?.[k] !== 'function');
    if (!client || missing.length) {
      throw new ClientInstallError(`ts-traced: cannot trace redis: RedisClient.prototype lacks ${missing.join(', ') || 'sendCommand'}`);
    }
    const live = new Installation(options);
    const undo = [
      wrapMethod(client, '_executeCommand', (original) => markingExecuteCommand(original, live)),
      wrapMethod(client, 'sendCommand', (original) => tracedSendCommand(original, live)),
      wrapMethod(client, '_executeMulti', (original) => tracedBatch(REDIS_SPAN.multi, original, live)),
      wrapMethod(client, '_executePipeline', (original) => tracedBatch(REDIS_SPAN.pipeline, original, live)),
      wrapMethod(client, 'connect', (original) => detachedConnect(original, live)),
    ];
    return () => {
      live.on = false;
      for (const restore of undo) restore();
    };
  },
});
