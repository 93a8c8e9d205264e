/**
 * pg (node-postgres) 8.x: a `pg.query` span per query and a `pg.connect` span per connection attempt.
 *
 * pg publishes no diagnostics channels, so this patches `Client.prototype.query` (which `Pool` and knex use too)
 * and `Client.prototype._connect` (which both forms of `connect` call with a callback), and `Pool.prototype.connect`
 * only to run a waiting caller's callback in that caller's context. A query's end is taken from pg's own
 * completion callback, never from `then` on the promise pg returns: the caller gets pg's promise object, and a
 * rejection nobody handles still reaches `unhandledRejection`.
 */
import { Tags as OT, type Tracer } from 'opentracing';
import { reportFault } from '../safe';
import { TAG } from '../tags';
import { defineWrapper, runHook, wrapMethod, ClientInstallError } from './install';
import {
  bindToCaller,
  CallSpan,
  DB_TAG,
  describeParameters,
  endingCallback,
  Installation,
  ownerOf,
  peerTags,
  secretsOf,
  startClientSpan,
  type SqlOptions,
} from './db';

/** What `requestHook` receives: the query as pg will send it (values included: the hook decides what to keep). */
export interface PgRequest {
  readonly text: string | undefined;
  readonly name: string | undefined;
  readonly values: unknown;
  readonly connection: { readonly database?: string; readonly host?: string; readonly port?: number; readonly user?: string };
}

/** `responseHook` receives pg's result (an array of them for a multi-statement query, the query object for a cursor). */
export type PgOptions = SqlOptions<PgRequest, unknown>;

export const PG_SPAN = { query: 'pg.query', connect: 'pg.connect' } as const;

/** The parts of pg's Client this wrapper reads (not exported by pg's typings). */
interface PgClient {
  _Promise: PromiseConstructor;
  readonly connectionParameters?: { database?: string; host?: string; port?: number; user?: string };
}
type Callback = (...args: any[]) => unknown;
interface Submittable {
  submit(...args: unknown[]): unknown;
  text?: unknown;
  name?: unknown;
  values?: unknown;
  cursor?: { text?: unknown; values?: unknown };
  handleError?: Callback;
  handleReadyForQuery?: Callback;
}

function baseTags(client: PgClient, live: Installation<PgOptions>): Record<string, string | number | boolean | undefined> {
  const p = client.connectionParameters ?? {};
  return {
    [OT.COMPONENT]: 'pg',
    [OT.DB_TYPE]: 'sql',
    [OT.DB_INSTANCE]: p.database,
    [OT.DB_USER]: p.user,
    ...peerTags(p.host, p.port, live.options.peerService),
  };
}

/** Reads the query's shape from pg's argument forms: `(text, values?, cb?)`, `(config, cb?)`, `(submittable, cb?)`. */
function startQuery(
  client: PgClient,
  config: any,
  values: unknown,
  live: Installation<PgOptions>,
  tracer: Tracer,
): CallSpan<unknown> | undefined {
  const isText = typeof config === 'string';
  const text = isText ? config : typeof config.text === 'string' ? config.text : config.cursor?.text;
  const name = isText || typeof config.name !== 'string' ? undefined : config.name;
  const params = Array.isArray(values) ? values : isText ? undefined : (config.values ?? config.cursor?.values);
  const tags = baseTags(client, live);
  tags[OT.DB_STATEMENT] = typeof text === 'string' ? text : undefined;
  tags[DB_TAG.statementName] = name;
  const record = live.options.recordParameters === true;
  if (record) tags[DB_TAG.parameters] = describeParameters(params);
  const child = startClientSpan(PG_SPAN.query, tags, tracer);
  if (child === undefined) return undefined;
  if (live.options.requestHook) {
    const p = client.connectionParameters ?? {};
    const connection = { database: p.database, host: p.host, port: p.port, user: p.user };
    runHook(live.options.requestHook, child.span, { text, name, values: params, connection }, 'hook.pg.request');
  }
  return new CallSpan(child, live.options.responseHook, record ? undefined : secretsOf(params), 'hook.pg.response');
}

/**
 * A cursor or stream (anything with `submit`) ends when pg calls its `handleReadyForQuery` or `handleError`: the
 * span covers its whole life. The two methods are shadowed on the object until then, and restored after.
 */
function watchSubmittable(query: Submittable, call: CallSpan<unknown>): void {
  const keys = ['handleError', 'handleReadyForQuery'] as const;
  const saved = keys.map((key) => ({ key, own: Object.prototype.hasOwnProperty.call(query, key), value: query[key] }));
  const restore = () => {
    for (const { key, own, value } of saved) {
      if (own) query[key] = value;
      else delete query[key];
    }
  };
  try {
    for (const { key, value } of saved) {
      if (typeof value !== 'function') continue;
      query[key] = function (this: unknown, error: unknown) {
        restore();
        call.end(key === 'handleError' ? (error ?? new Error('query failed')) : undefined, query);
        return value.apply(this, arguments as unknown as unknown[]);
      };
    }
  } catch (error) {
    // A frozen query object: the span cannot follow it.
    restore();
    reportFault('pg.submittable', error);
    call.child.setTag(TAG.promise, 'not-followed');
    call.child.finish();
  }
}

function tracedQuery(original: Callback, live: Installation<PgOptions>) {
  return function query(this: PgClient, config: any, values?: any, callback?: any): unknown {
    const tracer = live.tracer();
    if (tracer === undefined || config == null) return original.apply(this, arguments as unknown as unknown[]);
    let call: CallSpan<unknown> | undefined;
    try {
      call = startQuery(this, config, values, live, tracer);
    } catch (error) {
      reportFault('pg.query', error); // a throwing getter on the config: run the query untraced
    }
    if (call === undefined) return original.apply(this, arguments as unknown as unknown[]);
    const result = (res: IArguments) => res[1];
    try {
      if (typeof config.submit === 'function') {
        watchSubmittable(config, call);
        return original.apply(this, arguments as unknown as unknown[]);
      }
      if (typeof values === 'function') return original.call(this, config, endingCallback(call, values, result));
      if (typeof callback === 'function') return original.call(this, config, values, endingCallback(call, callback, result));
      if (typeof config === 'object' && typeof config.callback === 'function') {
        return original.call(this, config, values, endingCallback(call, config.callback, result));
      }
      return queryWithPromise(this, original, arguments, call);
    } catch (error) {
      call.end(error);
      throw error;
    }
  };
}

/**
 * The promise form: pg builds its promise with `new this._Promise(executor)`, whose executor hands pg's query its
 * completion callback. For this one synchronous call the client's `_Promise` is a constructor that returns a real
 * promise of the same class, built with resolve/reject that end the span first. pg's own promise and its own
 * `.catch` (which points the error's stack at the caller) are what the caller gets.
 */
function queryWithPromise(client: PgClient, original: Callback, args: IArguments, call: CallSpan<unknown>): unknown {
  const own = Object.prototype.hasOwnProperty.call(client, '_Promise');
  const Real = client._Promise;
  let followed = false;
  function TracedPromise(executor: (resolve: (v: unknown) => void, reject: (e: unknown) => void) => void) {
    followed = true;
    return new Real((resolve, reject) =>
      executor(
        (value) => {
          call.end(undefined, value);
          resolve(value);
        },
        (error) => {
          call.end(error);
          reject(error);
        },
      ),
    );
  }
  client._Promise = TracedPromise as unknown as PromiseConstructor;
  let result: unknown;
  try {
    result = original.apply(client, args as unknown as unknown[]);
  } finally {
    if (own) client._Promise = Real;
    else delete (client as Partial<PgClient>)._Promise;
  }
  if (!followed && !call.child.isFinished) {
    // A pg that builds its promise some other way: end the span now rather than touch the caller's promise.
    call.child.setTag(TAG.promise, 'not-followed');
    call.child.finish();
  }
  return result;
}

function tracedConnect(original: Callback, live: Installation<PgOptions>) {
  return function _connect(this: PgClient, callback: unknown): unknown {
    const tracer = live.tracer();
    if (tracer === undefined || typeof callback !== 'function') return original.apply(this, arguments as unknown as unknown[]);
    const child = startClientSpan(PG_SPAN.connect, baseTags(this, live), tracer);
    if (child === undefined) return original.apply(this, arguments as unknown as unknown[]);
    const done = function (this: unknown, error: unknown) {
      if (error) child.fail(error);
      else child.finish();
      return callback.apply(this, arguments);
    };
    try {
      return original.call(this, done);
    } catch (error) {
      child.fail(error);
      throw error;
    }
  };
}

/** pg-pool hands a freed client to the next waiting `connect(cb)` from the call that released it. */
function bindingPoolConnect(original: Callback, live: Installation<PgOptions>) {
  return function connect(this: unknown, callback: unknown): unknown {
    if (live.tracer() === undefined || typeof callback !== 'function') return original.apply(this, arguments as unknown as unknown[]);
    return original.call(this, bindToCaller(callback as Callback));
  };
}

export const pg = defineWrapper<PgOptions>({
  name: 'pg',
  majors: [8],
  patch(exports: { Client?: { prototype: object }; Pool?: { prototype: object } }, options) {
    const client = ownerOf(exports.Client?.prototype, 'query');
    if (!client) throw new ClientInstallError('ts-traced: cannot trace pg: pg.Client.prototype.query was not found');
    const live = new Installation(options);
    const undo = [
      wrapMethod(client, 'query', (original) => tracedQuery(original, live)),
      wrapMethod(client, '_connect', (original) => tracedConnect(original, live)),
    ];
    const pool = ownerOf(exports.Pool?.prototype, 'connect');
    if (pool) undo.push(wrapMethod(pool, 'connect', (original) => bindingPoolConnect(original, live)));
    return () => {
      live.on = false;
      for (const restore of undo) restore();
    };
  },
});
