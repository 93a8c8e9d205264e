/**
 * mysql2 3.x: a `mysql2.query` / `mysql2.execute` span per statement, a `mysql2.prepare` span per `prepare()`
 * (then a `mysql2.execute` span per `statement.execute()`), and a `mysql2.connect` span per connection a pool
 * opens, for the callback and the promise API (`mysql2/promise` calls the callback API underneath).
 *
 * mysql2 3.24 publishes diagnostics channels (`mysql2:query`, ...), but the query channel carries the SQL after
 * mysql2 has inlined the parameter values into it, with no template beside it: recording it would record the
 * values. So this patches `query`, `execute`, `prepare` and `connect` where `Connection` inherits them, `execute`
 * of the prepared statements' class (mysql2 does not export it: it is patched when `prepare` first yields one),
 * and the pool's `getConnection` only to run a waiting caller's callback in that caller's context. A statement's
 * end comes from mysql2's own callback (the promise API's too), or for a streamed query from its `end`/`error`
 * events, observed without adding a listener. `statement.close()` is not a span: the server never answers it.
 */
import { Tags as OT, type Tracer } from 'opentracing';
import { reportFault } from '../safe';
import { ClientInstallError, defineWrapper, runHook, wrapMethod } from './install';
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

/** What `requestHook` receives: the statement before mysql2 formats it, with its values. */
export interface Mysql2Request {
  readonly sql: string | undefined;
  readonly values: unknown;
  readonly connection: { readonly database?: string; readonly host?: string; readonly port?: number; readonly user?: string };
}

/** What `responseHook` receives: what the callback gets (the promise API resolves to `[rows, fields]`). */
export interface Mysql2Response {
  readonly rows: unknown;
  readonly fields: unknown;
}

export type Mysql2Options = SqlOptions<Mysql2Request, Mysql2Response>;

export const MYSQL2_SPAN = {
  query: 'mysql2.query',
  execute: 'mysql2.execute',
  prepare: 'mysql2.prepare',
  connect: 'mysql2.connect',
} as const;

/** The parts of mysql2's connection and commands this wrapper reads. */
interface Connection {
  readonly config?: { host?: string; port?: number; user?: string; database?: string; socketPath?: string };
  readonly _handshakePacket?: unknown;
}
type Callback = (...args: any[]) => unknown;
/** A prepared statement, as `prepare` yields it: its SQL and the connection it belongs to. */
interface Statement {
  readonly query?: unknown;
  readonly _connection?: Connection;
}
interface Command {
  sql?: unknown;
  values?: unknown;
  onResult?: Callback;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  on(event: string, listener: Callback): unknown;
}

function baseTags(connection: Connection, live: Installation<Mysql2Options>) {
  const c = connection.config ?? {};
  return {
    [OT.COMPONENT]: 'mysql2',
    [OT.DB_TYPE]: 'sql',
    [OT.DB_INSTANCE]: c.database,
    [OT.DB_USER]: c.user,
    ...peerTags(c.socketPath ?? c.host, c.socketPath ? undefined : c.port, live.options.peerService),
  };
}

function startStatement(
  name: string,
  connection: Connection,
  sql: unknown,
  values: unknown,
  live: Installation<Mysql2Options>,
  tracer: Tracer,
): CallSpan<Mysql2Response> | undefined {
  const tags: Record<string, string | number | boolean | undefined> = baseTags(connection, live);
  tags[OT.DB_STATEMENT] = typeof sql === 'string' ? sql : undefined;
  const record = live.options.recordParameters === true;
  if (record) tags[DB_TAG.parameters] = describeParameters(values);
  const child = startClientSpan(name, tags, tracer);
  if (child === undefined) return undefined;
  if (live.options.requestHook) {
    const c = connection.config ?? {};
    const request = { sql: typeof sql === 'string' ? sql : undefined, values, connection: { database: c.database, host: c.host, port: c.port, user: c.user } };
    runHook(live.options.requestHook, child.span, request, 'hook.mysql2.request');
  }
  return new CallSpan(child, live.options.responseHook, record ? undefined : secretsOf(values), 'hook.mysql2.response');
}

const response = (args: IArguments): Mysql2Response => ({ rows: args[1], fields: args[2] });

/**
 * A statement without a callback is an event emitter (`.on('result')`, `.stream()`): it ends at its `end` event
 * and fails at `error`. Listening would change what an unlistened `error` does (it throws), so the command's
 * `emit` is shadowed instead, until `end`.
 */
function watchEvents(command: Command, call: CallSpan<Mysql2Response>): void {
  const own = Object.prototype.hasOwnProperty.call(command, 'emit');
  const emit = command.emit;
  command.emit = function (this: Command, event: string | symbol, error?: unknown) {
    if (event === 'error') call.end(error ?? new Error('query failed'));
    else if (event === 'end') {
      call.child.finish(); // no response to hand the hook: the rows went to the listeners
      if (own) command.emit = emit;
      else delete (command as Partial<Command>).emit;
    }
    return emit.apply(this, arguments as unknown as [string]);
  };
}

/** A mysql2 command object (what a pool passes to `query`): it carries its own callback in `onResult`. */
function isCommand(value: unknown): value is Command {
  return typeof value === 'object' && value !== null && 'onResult' in value && typeof (value as Command).on === 'function';
}

/** `query` and `execute` take `(sql | options | command, values?, callback?)`; the callback is the last function. */
function tracedStatement(name: string, original: Callback, live: Installation<Mysql2Options>) {
  return function statement(this: Connection, sql: any, values?: any): unknown {
    const tracer = live.tracer();
    if (tracer === undefined || sql == null) return original.apply(this, arguments as unknown as unknown[]);
    const command = isCommand(sql) ? sql : undefined;
    let call: CallSpan<Mysql2Response> | undefined;
    try {
      const text = typeof sql === 'string' ? sql : sql.sql;
      const params = typeof values === 'function' || values === undefined ? (typeof sql === 'object' ? sql.values : undefined) : values;
      call = startStatement(name, this, text, params, live, tracer);
    } catch (error) {
      reportFault(name, error); // a throwing getter on the options: run the statement untraced
    }
    if (call === undefined) return original.apply(this, arguments as unknown as unknown[]);
    if (!command) return runStatement(call, original, this, Array.from(arguments));
    try {
      if (typeof command.onResult === 'function') command.onResult = endingCallback(call, command.onResult, response);
      else watchEvents(command, call);
      return original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      call.end(error);
      throw error;
    }
  };
}

/**
 * Runs a statement whose span has started: its callback (the first function among `args`) ends the span, or
 * without one the command mysql2 returns does, by its events.
 */
function runStatement(call: CallSpan<Mysql2Response>, original: Callback, self: unknown, args: unknown[]): unknown {
  try {
    const at = args.findIndex((arg) => typeof arg === 'function');
    if (at >= 0) {
      args[at] = endingCallback(call, args[at] as Callback, response);
      return original.apply(self, args.slice(0, at + 1));
    }
    const emitter = original.apply(self, args) as Command;
    if (emitter && typeof emitter.emit === 'function') watchEvents(emitter, call);
    else call.child.finish();
    return emitter;
  } catch (error) {
    call.end(error);
    throw error;
  }
}

/** `statement.execute(values?, callback?)` of a prepared statement: a `mysql2.execute` span with its SQL. */
function tracedStatementExecute(original: Callback, live: Installation<Mysql2Options>) {
  return function execute(this: Statement, values?: unknown): unknown {
    const tracer = live.tracer();
    if (tracer === undefined) return original.apply(this, arguments as unknown as unknown[]);
    let call: CallSpan<Mysql2Response> | undefined;
    try {
      const params = typeof values === 'function' ? undefined : values;
      call = startStatement(MYSQL2_SPAN.execute, this._connection ?? {}, this.query, params, live, tracer);
    } catch (error) {
      reportFault(MYSQL2_SPAN.execute, error);
    }
    if (call === undefined) return original.apply(this, arguments as unknown as unknown[]);
    return runStatement(call, original, this, Array.from(arguments));
  };
}

/**
 * `prepare(sql | options, callback?)`: a `mysql2.prepare` span (no hooks: nothing is bound yet) ended as a
 * statement is. The first statement a callback gets hands its class to `patchStatements`.
 */
function tracedPrepare(original: Callback, live: Installation<Mysql2Options>, patchStatements: (statement: object) => void) {
  let patched = false;
  const patching = (callback: Callback) =>
    function (this: unknown, error: unknown, statement: unknown) {
      if (!patched && typeof statement === 'object' && statement !== null && live.on) {
        patched = true;
        patchStatements(statement);
      }
      return callback.apply(this, arguments as unknown as unknown[]);
    };
  return function prepare(this: Connection, options: unknown, callback?: unknown): unknown {
    const args = Array.from(arguments);
    if (!patched && typeof callback === 'function') args[1] = patching(callback as Callback);
    const tracer = live.tracer();
    if (tracer === undefined) return original.apply(this, args);
    let call: CallSpan<Mysql2Response> | undefined;
    try {
      const sql = typeof options === 'string' ? options : (options as { sql?: unknown } | null)?.sql;
      const child = startClientSpan(MYSQL2_SPAN.prepare, { ...baseTags(this, live), [OT.DB_STATEMENT]: typeof sql === 'string' ? sql : undefined }, tracer);
      call = child && new CallSpan(child, undefined, undefined, 'hook.mysql2.response');
    } catch (error) {
      reportFault(MYSQL2_SPAN.prepare, error);
    }
    return call === undefined ? original.apply(this, args) : runStatement(call, original, this, args);
  };
}

/** `connect(cb)` on a connection that is not up yet: what a pool calls for each connection it opens. */
function tracedConnect(original: Callback, live: Installation<Mysql2Options>) {
  return function connect(this: Connection, callback: unknown): unknown {
    const tracer = live.tracer();
    if (tracer === undefined || typeof callback !== 'function' || this._handshakePacket) {
      return original.apply(this, arguments as unknown as unknown[]);
    }
    const child = startClientSpan(MYSQL2_SPAN.connect, baseTags(this, live), tracer);
    if (child === undefined) return original.apply(this, arguments as unknown as unknown[]);
    return original.call(this, function (this: unknown, error: unknown) {
      if (error) child.fail(error);
      else child.finish();
      return callback.apply(this, arguments);
    });
  };
}

/** A pool hands a freed connection to the next waiting caller from inside the call that released it. */
function bindingGetConnection(original: Callback, live: Installation<Mysql2Options>) {
  return function getConnection(this: unknown, callback: unknown): unknown {
    if (live.tracer() === undefined || typeof callback !== 'function') return original.apply(this, arguments as unknown as unknown[]);
    return original.call(this, bindToCaller(callback as Callback));
  };
}

export const mysql2 = defineWrapper<Mysql2Options>({
  name: 'mysql2',
  majors: [3],
  patch(exports: { Connection?: { prototype: object }; Pool?: { prototype: object } }, options) {
    const connection = ownerOf(exports.Connection?.prototype, 'query');
    if (!connection || typeof connection.execute !== 'function') {
      throw new ClientInstallError('ts-traced: cannot trace mysql2: Connection.prototype.query/execute were not found');
    }
    const live = new Installation(options);
    const patchStatements = (statement: object) => {
      const owner = ownerOf(Object.getPrototypeOf(statement), 'execute');
      if (owner && live.on) undo.push(wrapMethod(owner, 'execute', (original) => tracedStatementExecute(original, live)));
    };
    const undo = [
      wrapMethod(connection, 'query', (original) => tracedStatement(MYSQL2_SPAN.query, original, live)),
      wrapMethod(connection, 'execute', (original) => tracedStatement(MYSQL2_SPAN.execute, original, live)),
      wrapMethod(connection, 'prepare', (original) => tracedPrepare(original, live, patchStatements)),
      wrapMethod(connection, 'connect', (original) => tracedConnect(original, live)),
    ];
    const pool = ownerOf(exports.Pool?.prototype, 'getConnection');
    if (pool) undo.push(wrapMethod(pool, 'getConnection', (original) => bindingGetConnection(original, live)));
    return () => {
      live.on = false;
      for (const restore of undo) restore();
    };
  },
});
