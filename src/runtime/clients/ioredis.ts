/**
 * ioredis 5.x–6.x: a span per command named by the command (`GET`), and one span per pipeline or transaction
 * (`PIPELINE`, `MULTI`) listing its commands, which get no spans of their own: a batch is one round trip.
 *
 * ioredis 6 publishes diagnostics channels (`ioredis:command`, ...), but it announces a command only when it is
 * written, so one queued before the connection is ready is announced later in whatever context the connection
 * became ready in (a wrong parent); the channel carries pre-redacted arguments only; and with a subscriber every
 * command pays for building its channel message even when nothing records. So this patches
 * `Redis.prototype.sendCommand`, at the moment the caller asks, and `Pipeline.prototype.exec`. The end of a
 * command comes from the resolve/reject ioredis keeps on its command (and pipeline) object, never from `then` on
 * the promise the caller gets: that stays ioredis's own, and a rejection nobody handles still reaches
 * `unhandledRejection`.
 *
 * `connect` (also the one the constructor and a lazy client's first command make) is patched to run with no active
 * span: the socket it opens runs ioredis's events and a subscriber's `message` listeners in the context it was
 * opened in, so the span active at connect time (a start-up function's) would otherwise parent everything a
 * listener traces.
 */
import { Tags as OT, type Tracer } from 'opentracing';
import { reportFault } from '../safe';
import { scopeStorage } from '../scope';
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

/** What `requestHook` receives: the command, arguments included (for a batch, the list of commands queued). */
export interface IoredisRequest {
  readonly command: string;
  readonly args: readonly unknown[];
}

/** `responseHook` receives the reply (for a batch, ioredis's `[[error, reply], ...]`). */
export type IoredisOptions = RedisOptions<IoredisRequest | readonly IoredisRequest[], unknown>;

export const IOREDIS_SPAN = { pipeline: 'PIPELINE', multi: 'MULTI' } as const;

/** The parts of ioredis's objects this wrapper reads. */
interface Command {
  name: string;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  transformReply?: (reply: unknown) => unknown;
}
interface Client {
  readonly status?: string;
  readonly options?: { host?: string; port?: number; path?: string; db?: number };
  readonly condition?: { select?: number };
}
interface Pipeline {
  readonly redis: Client;
  readonly _queue: Command[];
  readonly _transactions?: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
type Callback = (...args: any[]) => unknown;

const TRACED = Symbol('ts-traced.ioredis');

/**
 * What ioredis sends on its own while a connection starts (status `connect`): HELLO, AUTH, SELECT, CLIENT SETINFO,
 * the INFO ready check. They belong to no caller, so they get no span. (ioredis's `HANDSHAKE_COMMANDS`.)
 */
const HANDSHAKE = new Set(['auth', 'hello', 'select', 'client', 'readonly', 'info']);

function baseTags(client: Client, live: Installation<IoredisOptions>) {
  const o = client.options ?? {};
  const db = client.condition?.select ?? o.db ?? 0;
  return {
    [OT.COMPONENT]: 'ioredis',
    [OT.DB_TYPE]: 'redis',
    [OT.DB_INSTANCE]: String(db),
    ...peerTags(o.path ?? o.host, o.path ? undefined : o.port, live.options.peerService),
  };
}

/** `GET`, or with `recordArguments` the command line `SET key value` (each argument capped). */
function describeCommand(command: Command, withArgs: boolean): string {
  const name = String(command.name).toUpperCase();
  if (!withArgs || !Array.isArray(command.args) || command.args.length === 0) return name;
  return `${name} ${command.args.map(describeValue).join(' ')}`;
}

/**
 * Ends `call` through the resolve/reject ioredis calls on `target` (a command or a pipeline). A command's resolve
 * receives the raw reply and converts it (Buffer to string, HGETALL to an object); the response hook, when there is
 * one, gets the converted reply, from the command's own (pure) `transformReply`.
 */
function endThrough(target: Command | Pipeline, call: CallSpan<unknown>, batch: boolean, hooked: boolean): void {
  const { resolve, reject } = target;
  target.resolve = (value: unknown) => {
    if (batch) call.end(firstError(value), value);
    else call.end(undefined, hooked ? converted(target as Command, value) : value);
    resolve(value);
  };
  target.reject = (error: unknown) => {
    call.end(error ?? new Error('command failed'));
    reject(error);
  };
}

function converted(command: Command, reply: unknown): unknown {
  try {
    return typeof command.transformReply === 'function' ? command.transformReply(reply) : reply;
  } catch {
    return reply; // ioredis rejects the command for this itself
  }
}

function start(
  name: string,
  client: Client,
  statement: string,
  args: unknown,
  request: IoredisRequest | readonly IoredisRequest[],
  live: Installation<IoredisOptions>,
  tracer: Tracer,
): CallSpan<unknown> | undefined {
  const tags: Record<string, string | number | boolean | undefined> = baseTags(client, live);
  tags[OT.DB_STATEMENT] = statement;
  if (Array.isArray(request)) tags[DB_TAG.batchSize] = request.length;
  const child = startClientSpan(name, tags, tracer);
  if (child === undefined) return undefined;
  runHook(live.options.requestHook, child.span, request, 'hook.ioredis.request');
  const secrets = live.options.recordArguments === true ? undefined : secretsOf(args);
  return new CallSpan(child, live.options.responseHook, secrets, 'hook.ioredis.response');
}

/** A command outside a batch, from the moment the caller sends it (also while it waits for the connection). */
function tracedSendCommand(original: Callback, live: Installation<IoredisOptions>) {
  return function sendCommand(this: Client, command: Command, stream?: { isPipeline?: boolean }): unknown {
    const tracer = live.tracer();
    if (
      tracer === undefined ||
      typeof command !== 'object' ||
      command === null ||
      (command as any)[TRACED] ||
      stream?.isPipeline ||
      (this.status === 'connect' && HANDSHAKE.has(command.name))
    ) {
      return original.apply(this, arguments as unknown as unknown[]);
    }
    try {
      // Resent after a reconnect or flushed from the offline queue: the first send already started its span.
      (command as any)[TRACED] = true;
      const withArgs = live.options.recordArguments === true;
      const call = start(
        String(command.name).toUpperCase(),
        this,
        describeCommand(command, withArgs),
        command.args,
        { command: command.name, args: command.args },
        live,
        tracer,
      );
      if (call !== undefined) endThrough(command, call, false, live.options.responseHook !== undefined);
    } catch (error) {
      reportFault('ioredis.sendCommand', error);
    }
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** A pipeline, or a transaction (`multi()` queues `MULTI` … `EXEC` in a pipeline), when it is sent. */
function tracedExec(original: Callback, live: Installation<IoredisOptions>) {
  return function exec(this: Pipeline): unknown {
    const tracer = live.tracer();
    // `_transactions > 0`: the transaction's first call only queues EXEC; the second one sends.
    if (tracer === undefined || (this as any)[TRACED] || (this._transactions ?? 0) > 0 || !Array.isArray(this._queue)) {
      return original.apply(this, arguments as unknown as unknown[]);
    }
    try {
      (this as any)[TRACED] = true;
      const multi = this._queue[0]?.name === 'multi';
      // The span's name says MULTI: the statement lists what the caller queued, as for node-redis.
      const queue = multi ? this._queue.slice(1, this._queue.at(-1)?.name === 'exec' ? -1 : undefined) : this._queue;
      const withArgs = live.options.recordArguments === true;
      const call = start(
        multi ? IOREDIS_SPAN.multi : IOREDIS_SPAN.pipeline,
        this.redis,
        queue.map((c) => describeCommand(c, withArgs)).join('\n'),
        queue.flatMap((c) => c.args),
        queue.map((c) => ({ command: c.name, args: c.args })),
        live,
        tracer,
      );
      if (call !== undefined) endThrough(this, call, true, live.options.responseHook !== undefined);
    } catch (error) {
      reportFault('ioredis.exec', error);
    }
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

/** `connect()` with no active span, for the socket it opens (see the module comment). */
function detachedConnect(original: Callback, live: Installation<IoredisOptions>) {
  return function connect(this: Client): unknown {
    if (live.tracer() === undefined) return original.apply(this, arguments as unknown as unknown[]);
    return scopeStorage().run(undefined, Reflect.apply, original, this, arguments);
  };
}

export const ioredis = defineWrapper<IoredisOptions>({
  name: 'ioredis',
  majors: [5, 6],
  patch(exports: { Redis?: { prototype: object }; Pipeline?: { prototype: object }; prototype?: object }, options) {
    const redis = ownerOf((exports.Redis ?? exports)?.prototype, 'sendCommand');
    const pipeline = ownerOf(exports.Pipeline?.prototype, 'exec');
    const connecting = ownerOf((exports.Redis ?? exports)?.prototype, 'connect');
    if (!redis || !pipeline || !connecting) {
      throw new ClientInstallError('ts-traced: cannot trace ioredis: Redis.prototype.sendCommand, connect or Pipeline.prototype.exec was not found');
    }
    const live = new Installation(options);
    const undo = [
      wrapMethod(redis, 'sendCommand', (original) => tracedSendCommand(original, live)),
      wrapMethod(pipeline, 'exec', (original) => tracedExec(original, live)),
      wrapMethod(connecting, 'connect', (original) => detachedConnect(original, live)),
    ];
    return () => {
      live.on = false;
      for (const restore of undo) restore();
    };
  },
});
