/**
 * What the database and cache wrappers (pg, mysql2, ioredis, redis) share: their tag keys, one installation's
 * switch, how parameter values are described when a user opts in, how an error is recorded without the values a
 * server echoes back, and how a callback a pool runs later gets its caller's context back.
 */
import { Tags as OT, type Span, type Tracer } from 'opentracing';
import { startChildSpan, type ChildSpan, type Tags } from '../child-span';
import { scopeStorage } from '../scope';
import { state } from '../state';
import { runHook, type ClientOptions } from './install';

/** Tag keys beyond OpenTracing's standard ones. */
export const DB_TAG = {
  /** The statement's parameter values (only with `recordParameters: true`): a JSON array or object of strings. */
  parameters: 'db.parameters',
  /** pg: the name of a prepared statement (`{ name, text }`). */
  statementName: 'db.statement.name',
  /** Commands in a Redis pipeline or MULTI, without MULTI/EXEC themselves. */
  batchSize: 'db.operation.batch.size',
} as const;

/** Options of the SQL wrappers (pg, mysql2). */
export interface SqlOptions<Req, Res> extends ClientOptions<Req, Res> {
  /** Record the parameter values in the `db.parameters` tag. Default `false`: they may be personal data or secrets. */
  readonly recordParameters?: boolean;
}

/** Options of the Redis wrappers (ioredis, redis). */
export interface RedisOptions<Req, Res> extends ClientOptions<Req, Res> {
  /** Record command arguments in `db.statement` (`SET key value`). Default `false`: only the command names. */
  readonly recordArguments?: boolean;
}

/**
 * One `install` of a wrapper. Patched functions can outlive `uninstall` (a bound method, a function kept in a
 * variable), so they ask here and run the original once it is off.
 */
export class Installation<O extends ClientOptions<any, any>> {
  on = true;
  constructor(readonly options: O) {}

  /** The tracer to record with, or `undefined`: the one check an untraced call pays. */
  tracer(): Tracer | undefined {
    const tracer = this.options.tracer ?? state.tracer;
    return tracer !== undefined && this.on ? tracer : undefined;
  }
}

/** The object in `proto`'s chain that owns `key`: the one to patch, so subclasses' own overrides stay theirs. */
export function ownerOf(proto: object | undefined, key: string): Record<string, unknown> | undefined {
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, key)) return p as Record<string, unknown>;
  }
  return undefined;
}

/** OpenTracing peer tags for a server at `host`:`port` (a path is a Unix socket). */
export function peerTags(host: unknown, port: unknown, service: string | undefined): Tags {
  const tags: Tags = { [OT.PEER_SERVICE]: service };
  if (typeof host === 'string' && host !== '') tags[host.startsWith('/') ? OT.PEER_ADDRESS : OT.PEER_HOSTNAME] = host;
  const number = typeof port === 'string' ? Number(port) : port;
  if (typeof number === 'number' && Number.isFinite(number)) tags[OT.PEER_PORT] = number;
  return tags;
}

/** A client span with `span.kind=client`; `undefined` when the tracer refuses. */
export function startClientSpan(name: string, tags: Tags, tracer: Tracer): ChildSpan | undefined {
  tags[OT.SPAN_KIND] = OT.SPAN_KIND_RPC_CLIENT;
  return startChildSpan(name, tags, tracer);
}

const MAX_VALUE_CHARS = 128;
const MAX_VALUES = 100;

/** One value as recorded when the user opted in: capped text, binary data by size. Never throws. */
export function describeValue(value: unknown): string {
  try {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
    else if (value instanceof Date) text = value.toISOString();
    else if (typeof value === 'object' && value !== null) text = JSON.stringify(value) ?? String(value);
    else text = String(value);
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
  } catch {
    return '<unprintable>';
  }
}

/** Parameter values (an array, or named values in an object) as a JSON string; `undefined` when there are none. */
export function describeParameters(values: unknown): string | undefined {
  try {
    if (Array.isArray(values)) return values.length ? JSON.stringify(values.slice(0, MAX_VALUES).map(describeValue)) : undefined;
    if (typeof values === 'object' && values !== null) {
      const entries = Object.entries(values).slice(0, MAX_VALUES);
      return entries.length ? JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, describeValue(v)]))) : undefined;
    }
  } catch {
    // A throwing getter or proxy: record nothing rather than something partial.
  }
  return undefined;
}

/** Shorter values are not searched for in error messages: they would mangle the message and protect nothing. */
const MIN_SECRET_CHARS = 3;

/**
 * The texts of `values` to keep out of recorded errors, longest first. A server often quotes a value back in its
 * error (`invalid input syntax for type integer: "..."`, `ERR unknown command 'x', with args beginning with: ...`).
 */
export function secretsOf(values: unknown): string[] | undefined {
  let list: unknown[];
  try {
    if (Array.isArray(values)) list = values.slice(0, 1000);
    else if (typeof values === 'object' && values !== null) list = Object.values(values).slice(0, 1000);
    else return undefined;
  } catch {
    return undefined;
  }
  const secrets = new Set<string>();
  for (const value of list) {
    let text: string | undefined;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
    else if (value instanceof Uint8Array && value.byteLength <= 4096) text = Buffer.from(value).toString('utf8');
    if (text !== undefined && text.length >= MIN_SECRET_CHARS) secrets.add(text);
  }
  return secrets.size ? [...secrets].sort((a, b) => b.length - a.length) : undefined;
}

function readText(value: unknown, key: string): string | undefined {
  try {
    const text = (value as Record<string, unknown>)[key];
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

function scrub(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) text = text.split(secret).join('?');
  return text;
}

/**
 * Marks the span failed with `error`. When the call carried values (and the user did not opt in to recording
 * them), the span gets a stand-in with the error's name, and its message and stack with those values replaced by
 * `?`: the error object itself can carry them elsewhere (mysql2's `err.sql`, ioredis's `err.command.args`).
 * The caller's error is never touched.
 */
export function failSpan(child: ChildSpan, error: unknown, secrets: readonly string[] | undefined): void {
  if (secrets === undefined) {
    child.fail(error);
    return;
  }
  const message = readText(error, 'message') ?? describeValue(error);
  const stack = readText(error, 'stack');
  child.fail({
    name: readText(error, 'name') ?? 'Error',
    message: scrub(message, secrets),
    stack: stack === undefined ? undefined : scrub(stack, secrets),
  });
}

/** The span of one call in flight: ends once, with the response hook on success. */
export class CallSpan<Res> {
  constructor(
    readonly child: ChildSpan,
    private readonly responseHook: ((span: Span, response: Res) => void) | undefined,
    private readonly secrets: readonly string[] | undefined,
    private readonly hookKind: string,
  ) {}

  /** Ends the span: failed when `error` is set, else after the response hook saw `response`. */
  end(error: unknown, response?: Res): void {
    if (this.child.isFinished) return;
    if (error) {
      failSpan(this.child, error, this.secrets);
      return;
    }
    runHook(this.responseHook, this.child.span, response as Res, this.hookKind);
    this.child.finish();
  }
}

/**
 * `fn` made to run in the context active now, for a callback a library runs later from somewhere else: a pool
 * hands a freed connection to the next waiting caller from inside the call that released it, and a socket's
 * events run in the context that opened it.
 */
export function bindToCaller<F extends (...args: any[]) => unknown>(fn: F): F {
  const storage = scopeStorage();
  const store = storage.getStore();
  return function (this: unknown) {
    return storage.run(store, Reflect.apply, fn, this, arguments);
  } as unknown as F;
}

/** A callback that ends `call` (error first, as Node callbacks do) and then runs `fn` in the caller's context. */
export function endingCallback<Res>(
  call: CallSpan<Res>,
  fn: (...args: any[]) => unknown,
  response: (args: IArguments) => Res,
): (...args: any[]) => unknown {
  const bound = bindToCaller(fn);
  return function (this: unknown, error: unknown) {
    call.end(error, error ? undefined : response(arguments));
    return bound.apply(this, arguments as unknown as unknown[]);
  };
}

/** The first error in a Redis batch reply (`[[err, value], ...]`, or a list holding error replies). */
export function firstError(replies: unknown): unknown {
  if (!Array.isArray(replies)) return undefined;
  for (const reply of replies) {
    if (reply instanceof Error) return reply;
    if (Array.isArray(reply)) {
      const found = reply[0] instanceof Error ? reply[0] : firstError(reply[1]);
      if (found) return found;
    }
  }
  return undefined;
}
