/**
 * amqplib (RabbitMQ), promise and callback APIs. A publish is a producer span that writes its context into the
 * message's `headers` (text map, on a copy of the caller's options); on a confirm channel it ends when the broker
 * confirms or refuses the message, otherwise when `publish` returns (the broker says nothing more). A delivery is a
 * consumer span, child of the context found in the message (so one trace crosses the broker), or a new trace:
 * never the span that happened to be active where the connection was opened. It is active while the handler runs.
 * A message polled with `get` is a consumer span of the same parentage, from the call to the message's arrival
 * (nothing runs inside it: the message goes back to the caller). A `get` that finds the queue empty (`false`) or
 * fails has no message, so no span: a polling loop would otherwise start a new, empty trace per poll.
 *
 * Patched: `publish` of `Channel` and `ConfirmChannel` (`sendToQueue` goes through it), `consume` and `get` of
 * `Channel`, in both `lib/channel_model.js` and `lib/callback_model.js` (the package exports no classes).
 * `traceConsumer(handler)` gives the consumer span without the patch.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { types } from 'node:util';
import { Tags, type SpanContext, type Tracer } from 'opentracing';
import { extractContext, startChildSpan, type ChildSpan, type Tags as TagMap } from '../child-span';
import { withSpan } from '../scope';
import { state } from '../state';
import { bindToCaller } from './db';
import { defineWrapper, runHook, wrapMethod, type ClientOptions } from './install';

/** What `requestHook` receives for a publish. */
export interface AmqpPublishInfo {
  readonly exchange: string;
  readonly routingKey: string;
}

/** A delivered message, as amqplib hands it to a consumer (only the parts read here). */
export interface AmqpMessage {
  readonly fields: { readonly exchange?: string; readonly routingKey?: string; readonly redelivered?: boolean };
  readonly properties: { readonly headers?: Record<string, unknown> };
}

/** `requestHook` runs for each publish, `responseHook` for each delivery (consumed or got), with the consumer span. */
export type AmqplibOptions = ClientOptions<AmqpPublishInfo, AmqpMessage>;

export interface TraceConsumerOptions extends Pick<AmqplibOptions, 'responseHook' | 'tracer' | 'peerService'> {
  /** The queue consumed, for `message_bus.destination` (default: the message's routing key). */
  readonly queue?: string;
}

export const AMQP_SPAN = { publish: 'amqp.publish', consume: 'amqp.consume', get: 'amqp.get' } as const;
export const AMQP_TAG = { exchange: 'amqp.exchange', routingKey: 'amqp.routing_key', redelivered: 'amqp.redelivered' } as const;
const COMPONENT = 'amqplib';

const TRACED = Symbol.for('ts-traced.amqplib.consumer');
const promiseThen = Promise.prototype.then;

/** Ends the span with the handler's outcome; a native promise is followed by a derived one, returned instead. */
function settle<R>(child: ChildSpan, result: R): R {
  if (types.isPromise(result) && Object.getPrototypeOf(result) === Promise.prototype) {
    return promiseThen.call(
      result,
      (value) => {
        child.finish();
        return value;
      },
      (error: unknown) => {
        child.fail(error);
        throw error;
      },
    ) as R;
  }
  child.finish();
  return result;
}

function consumerSpan(
  message: AmqpMessage,
  options: TraceConsumerOptions,
  tracer: Tracer,
  name: string = AMQP_SPAN.consume,
  startTime?: number,
): ChildSpan | undefined {
  const parent: SpanContext | null = extractContext(message.properties?.headers, true, tracer) ?? null;
  const tags: TagMap = {
    [Tags.SPAN_KIND]: Tags.SPAN_KIND_MESSAGING_CONSUMER,
    [Tags.COMPONENT]: COMPONENT,
    [Tags.MESSAGE_BUS_DESTINATION]: options.queue ?? message.fields?.routingKey,
    [AMQP_TAG.exchange]: message.fields?.exchange,
    [AMQP_TAG.routingKey]: message.fields?.routingKey,
    [AMQP_TAG.redelivered]: message.fields?.redelivered,
    [Tags.PEER_SERVICE]: options.peerService,
  };
  return startChildSpan(name, tags, tracer, parent, startTime);
}

/** The span of a `get` of `queue` called at `startTime` that returned `message` (`false` when the queue was empty). */
function recordGet(message: unknown, queue: unknown, startTime: number, options: AmqplibOptions, tracer: Tracer): void {
  if (typeof message !== 'object' || message === null) return;
  const on = { ...options, queue: typeof queue === 'string' ? queue : undefined };
  const child = consumerSpan(message as AmqpMessage, on, tracer, AMQP_SPAN.get, startTime);
  if (child === undefined) return;
  runHook(options.responseHook, child.span, message as AmqpMessage, 'hook.responseHook');
  child.finish();
}

/**
 * Wraps a consumer callback so each delivery is a consumer span, active while `handler` runs and ended when it
 * returns, throws, or (for an `async` handler) settles. `null` (the broker cancelled the consumer) is passed
 * through untraced. An `async` handler's promise is replaced by one that settles the same way after the span ends
 * (amqplib ignores it; a rejection stays unhandled exactly as it was).
 */
export function traceConsumer<M extends AmqpMessage | null, R>(
  handler: (message: M) => R,
  options: TraceConsumerOptions = {},
): (message: M) => R {
  if ((handler as { [TRACED]?: boolean })[TRACED]) return handler;
  const traced = function (this: unknown, message: M): R {
    const tracer = options.tracer ?? state.tracer;
    if (tracer === undefined || message === null || typeof message !== 'object') return handler.call(this, message);
    const child = consumerSpan(message, options, tracer);
    if (child === undefined) return handler.call(this, message);
    runHook(options.responseHook, child.span, message, 'hook.responseHook');
    let result: R;
    try {
      result = withSpan(child.span, () => handler.call(this, message));
    } catch (error) {
      child.fail(error);
      throw error;
    }
    return settle(child, result);
  };
  Object.defineProperty(traced, TRACED, { value: true });
  return traced;
}

/** The producer span of one publish, and the caller's options with its context added to `headers`. */
function startPublish(
  exchange: unknown,
  routingKey: unknown,
  publishOptions: unknown,
  options: AmqplibOptions,
  tracer: Tracer,
): { child: ChildSpan; options: unknown } | undefined {
  const ex = typeof exchange === 'string' ? exchange : '';
  const key = typeof routingKey === 'string' ? routingKey : '';
  const child = startChildSpan(
    AMQP_SPAN.publish,
    {
      [Tags.SPAN_KIND]: Tags.SPAN_KIND_MESSAGING_PRODUCER,
      [Tags.COMPONENT]: COMPONENT,
      [Tags.MESSAGE_BUS_DESTINATION]: ex === '' ? key : ex,
      [AMQP_TAG.exchange]: ex,
      [AMQP_TAG.routingKey]: key,
      [Tags.PEER_SERVICE]: options.peerService,
    },
    tracer,
  );
  if (child === undefined) return undefined;
  runHook(options.requestHook, child.span, { exchange: ex, routingKey: key }, 'hook.requestHook');
  const own = typeof publishOptions === 'object' && publishOptions !== null ? (publishOptions as { headers?: unknown }) : {};
  const headers: Record<string, unknown> =
    typeof own.headers === 'object' && own.headers !== null ? { ...(own.headers as object) } : {};
  const carrier: Record<string, unknown> = {};
  child.inject(carrier, true);
  for (const [name, value] of Object.entries(carrier)) if (!(name in headers)) headers[name] = value;
  return { child, options: { ...own, headers } };
}

type Publish = (this: unknown, ...args: unknown[]) => unknown;
type Model = { Channel: { prototype: Record<string, unknown> }; ConfirmChannel: { prototype: Record<string, unknown> } };

function patchModel(model: Model, options: AmqplibOptions): () => void {
  /** Set while a confirm publish runs: its inner `Channel.publish` call is the same message, not another one. */
  let inConfirm = false;
  const tracerFor = () => (inConfirm ? undefined : (options.tracer ?? state.tracer));
  const undoPublish = wrapMethod(model.Channel.prototype, 'publish', (original: Publish) =>
    function (this: unknown, ...args: unknown[]) {
      const tracer = tracerFor();
      if (tracer === undefined) return original.apply(this, args);
      const started = startPublish(args[0], args[1], args[3], options, tracer);
      if (started === undefined) return original.apply(this, args);
      try {
        return original.call(this, args[0], args[1], args[2], started.options, ...args.slice(4));
      } catch (error) {
        started.child.fail(error);
        throw error;
      } finally {
        started.child.finish();
      }
    },
  );
  const undoConfirm = wrapMethod(model.ConfirmChannel.prototype, 'publish', (original: Publish) =>
    function (this: unknown, ...args: unknown[]) {
      const tracer = tracerFor();
      const started = tracer === undefined ? undefined : startPublish(args[0], args[1], args[3], options, tracer);
      if (started === undefined) return original.apply(this, args);
      const { child } = started;
      const callback = args[4];
      const confirmed = function (this: unknown, error: unknown, ...rest: unknown[]) {
        if (error == null) child.finish();
        else child.fail(error);
        if (typeof callback === 'function') return callback.call(this, error, ...rest);
      };
      inConfirm = true;
      try {
        return original.call(this, args[0], args[1], args[2], started.options, confirmed, ...args.slice(5));
      } catch (error) {
        child.fail(error);
        throw error;
      } finally {
        inConfirm = false;
      }
    },
  );
  const undoConsume = wrapMethod(model.Channel.prototype, 'consume', (original: Publish) =>
    function (this: unknown, ...args: unknown[]) {
      if (typeof args[1] === 'function' && typeof args[0] === 'string') {
        args[1] = traceConsumer(args[1] as (m: AmqpMessage | null) => unknown, { ...options, queue: args[0] });
      }
      return original.apply(this, args);
    },
  );
  /** `get(queue, options)` resolves to the message; the callback model's `get(queue, options, callback)` gets it. */
  const undoGet = wrapMethod(model.Channel.prototype, 'get', (original: Publish) =>
    function (this: unknown, ...args: unknown[]) {
      const tracer = tracerFor();
      if (tracer === undefined) return original.apply(this, args);
      const startTime = performance.timeOrigin + performance.now();
      const record = (message: unknown) => recordGet(message, args[0], startTime, options, tracer);
      const callback = args[2];
      if (typeof callback === 'function') {
        const inCaller = bindToCaller(callback as Publish);
        args[2] = function (this: unknown, error: unknown, message: unknown) {
          if (error == null) record(message);
          return inCaller.apply(this, arguments as unknown as unknown[]);
        };
        return original.apply(this, args);
      }
      const result = original.apply(this, args);
      if (!types.isPromise(result)) return result;
      return promiseThen.call(result, (message: unknown) => {
        record(message);
        return message;
      });
    },
  );
  return () => {
    undoGet();
    undoConsume();
    undoConfirm();
    undoPublish();
  };
}

function loadModels(): { exports: Model[]; version: string | undefined } | undefined {
  for (const from of [createRequire(join(process.cwd(), 'noop.js')), require]) {
    try {
      const root = dirname(from.resolve('amqplib'));
      const version = (from(join(root, 'package.json')) as { version?: string }).version;
      const models = ['channel_model.js', 'callback_model.js'].map((f) => from(join(root, 'lib', f)) as Model);
      return { exports: models, version };
    } catch {
      // Try the next resolution base.
    }
  }
  return undefined;
}

/** amqplib 2.x, promise and callback APIs. */
export const amqplib = defineWrapper<AmqplibOptions>({
  name: 'amqplib',
  majors: [2],
  load: loadModels,
  patch(models: Model[], options) {
    const undo = models.map((model) => patchModel(model, options));
    return () => {
      for (const step of undo) step();
    };
  },
});
