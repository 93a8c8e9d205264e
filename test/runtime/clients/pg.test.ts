/**
 * pg against the real PostgreSQL on 127.0.0.1: a span per query in every form pg accepts (promise, callback,
 * config object, prepared statement, Query object), pools (including callers queued for a connection), connection
 * failures, the library's own error behaviour, hooks, install/uninstall, and that parameter values never reach a
 * span unless asked for.
 */
import { randomBytes } from 'node:crypto';
import * as pgLib from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pg } from '../../../src/runtime/clients/pg';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { closedPort } from '../../helpers/closed-port';
import { installRecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';

const { Client, Pool } = pgLib;
const connection = {
  host: SERVICES.postgres.host,
  port: SERVICES.postgres.port,
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD,
  database: process.env.PGDATABASE ?? 'test',
};
const table = `ts_traced_pg_${randomBytes(4).toString('hex')}`;

/** pg's own functions, before anything patched them. */
const clientProto = Client.prototype as unknown as Record<string, unknown>;
const poolProto = Object.getPrototypeOf(Pool.prototype) as Record<string, unknown>;
const originals = { query: clientProto.query, _connect: clientProto._connect, poolConnect: poolProto.connect };

const queries = (tracer: { started: RecordedSpan[] }) => tracer.started.filter((s) => s.name === 'pg.query');
const firstFrame = (error: unknown) => String((error as Error).stack).split('\n').find((l) => l.trim().startsWith('at '));
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connected(options: pgLib.ClientConfig = {}): Promise<pgLib.Client> {
  const client = new Client({ ...connection, ...options });
  await client.connect();
  return client;
}

async function main(): Promise<void> {
  const up = await serviceAvailable('postgres');
  let client: pgLib.Client;

  // -------------------------------------------------------------------------------------------------------------
  const forms = suite('pg queries');
  const it = up ? forms : forms.skip;
  forms.before(async () => {
    if (!up) return;
    pg.install();
    client = await connected();
    await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, email text, n int)`);
  });
  forms.after.each(() => setTracer(undefined));

  it('a promise query is a child span of the caller with the OpenTracing tags, finished once', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const result = await withSpan(parent, () => client.query('SELECT $1::int + 1 AS n', [41]));
    assert.is(result.rows[0].n, 42, "~> pg's result");
    const [span] = queries(tracer);
    assert.is(span.parent, parent);
    assert.equal(
      { ...span.tags },
      {
        'span.kind': 'client',
        component: 'pg',
        'db.type': 'sql',
        'db.instance': connection.database,
        'db.user': connection.user,
        'db.statement': 'SELECT $1::int + 1 AS n',
        'peer.hostname': connection.host,
        'peer.port': connection.port,
      },
    );
    assert.is(span.finishCount, 1);
  });

  it("returns pg's own promise: the client's Promise class, no extra wrapper", async () => {
    installRecordingTracer();
    class TaggedPromise<T> extends Promise<T> {}
    const custom = await connected({ Promise: TaggedPromise as PromiseConstructor } as pgLib.ClientConfig);
    try {
      const pending = custom.query('SELECT 1 AS one');
      assert.instance(pending, TaggedPromise, '~> built by the configured Promise');
      assert.is((custom as unknown as { _Promise: unknown })._Promise, TaggedPromise, '~> the client keeps its Promise');
      assert.is((await pending).rows[0].one, 1);
    } finally {
      await custom.end();
    }
  });

  it('callback forms: (text, values, cb), (text, cb), (config, cb), ({ callback }) — each called once, span ended first, caller context inside', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const seen: unknown[] = [];
    const run = (start: (done: (err: Error | null, res?: pgLib.QueryResult) => void) => void) =>
      new Promise<void>((resolve, reject) =>
        withSpan(parent, () =>
          start((err, res) => {
            const open = queries(tracer).filter((s) => s.finishCount === 0).length;
            seen.push([err, res?.rows[0].v, activeSpan() === (parent as unknown), open]);
            if (err) reject(err);
            else resolve();
          }),
        ),
      );
    await run((done) => client.query('SELECT $1::text AS v', ['a'], done));
    await run((done) => client.query("SELECT 'b' AS v", done));
    await run((done) => client.query({ text: 'SELECT $1::text AS v', values: ['c'] }, done));
    await run((done) => client.query({ text: "SELECT 'd' AS v", callback: done } as pgLib.QueryConfig));
    assert.equal(seen, [
      [null, 'a', true, 0],
      [null, 'b', true, 0],
      [null, 'c', true, 0],
      [null, 'd', true, 0],
    ]);
    assert.equal(
      queries(tracer).map((s) => [s.tags['db.statement'], s.parent === (parent as unknown), s.finishCount]),
      [
        ['SELECT $1::text AS v', true, 1],
        ["SELECT 'b' AS v", true, 1],
        ['SELECT $1::text AS v', true, 1],
        ["SELECT 'd' AS v", true, 1],
      ],
    );
  });

  it('a named prepared statement records its name and text on every execution', async () => {
    const tracer = installRecordingTracer();
    const statement = { name: `ts_traced_by_id_${table}`, text: `SELECT count(*)::int AS c FROM ${table} WHERE id = $1` };
    await client.query({ ...statement, values: [1] });
    await client.query({ ...statement, values: [2] });
    assert.equal(
      queries(tracer).map((s) => [s.tags['db.statement.name'], s.tags['db.statement'], s.finishCount]),
      [
        [statement.name, statement.text, 1],
        [statement.name, statement.text, 1],
      ],
    );
  });

  it("a Query object (submittable) is followed to its end; its events and rows are pg's", async () => {
    const tracer = installRecordingTracer();
    const query = new pgLib.Query('SELECT generate_series(1, $1::int) AS i', [3]);
    const rows: number[] = [];
    query.on('row', (row: { i: number }) => rows.push(row.i));
    const ended = new Promise((resolve) => query.on('end', resolve));
    const returned = client.query(query);
    assert.is(returned, query, '~> the Query object itself is returned');
    assert.is(queries(tracer)[0].finishCount, 0, '~> open while the query runs');
    await ended;
    assert.equal(rows, [1, 2, 3]);
    const [span] = queries(tracer);
    assert.equal([span.tags['db.statement'], span.finishCount], ['SELECT generate_series(1, $1::int) AS i', 1]);
    assert.not.ok(Object.prototype.hasOwnProperty.call(query, 'handleReadyForQuery'), '~> the Query object is left as pg made it');
  });

  it('pool queries are children of each caller, also for callers queued for the one connection (case 49)', async () => {
    const tracer = installRecordingTracer();
    const pool = new Pool({ ...connection, max: 1 });
    try {
      const parents = Array.from({ length: 12 }, (_, i) => tracer.startSpan(`caller-${i}`));
      const results = await Promise.all(
        parents.map((parent, i) =>
          withSpan(parent, () =>
            i % 2
              ? pool.query('SELECT $1::int AS i, pg_sleep(0.005)', [i]).then((r) => r.rows[0].i)
              : new Promise((resolve, reject) =>
                  pool.query('SELECT $1::int AS i', [i], (err, r) => (err ? reject(err) : resolve([r.rows[0].i, activeSpan() === parent]))),
                ),
          ),
        ),
      );
      assert.equal(results, parents.map((_, i) => (i % 2 ? i : [i, true])), '~> results, callbacks in the caller context');
      const spans = queries(tracer);
      assert.is(spans.length, 12);
      for (const span of spans) assert.is(span.parent?.name.startsWith('caller-'), true, `~> ${span.path}`);
      const byCaller = new Set(spans.map((s) => s.parent));
      assert.is(byCaller.size, 12, '~> each caller got its own query span');
      assert.equal(tracer.byName('pg.connect').map((s) => [s.parent?.name, s.finishCount]), [['caller-0', 1]]);
    } finally {
      await pool.end();
    }
  });

  it('no tracer: the query runs as pg runs it and nothing is recorded', async () => {
    const tracer = installRecordingTracer();
    setTracer(undefined);
    const result = await client.query('SELECT 7 AS seven');
    assert.is(result.rows[0].seven, 7);
    assert.is(tracer.started.length, 0);
  });

  forms.after(async () => {
    if (!up) return;
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });
  forms.run();

  // -------------------------------------------------------------------------------------------------------------
  const errors = suite('pg errors');
  const et = up ? errors : errors.skip;
  errors.before(async () => {
    if (!up) return;
    pg.install();
    client = await connected();
  });
  errors.after.each(() => setTracer(undefined));

  /** What a failing call looks like from outside, to compare traced and untraced runs. */
  const outcome = (error: unknown) => {
    const e = error as { constructor: unknown; message: string; code?: string };
    return { type: e.constructor, message: e.message, code: e.code, frame: firstFrame(error) };
  };

  et("a bad query rejects with pg's own error (same class, code, first stack frame) and the span records it", async () => {
    pg.uninstall();
    const untraced = await client.query('SELEC 1').then(outcome, outcome);
    pg.install();
    const tracer = installRecordingTracer();
    let thrown: unknown;
    const traced = await client.query('SELEC 1').then(outcome, (e) => outcome((thrown = e)));
    assert.equal(traced, untraced);
    assert.match(String(traced.frame), /node_modules[\\/]pg[\\/]lib[\\/]client\.js/, '~> the stack still starts in pg');
    const [span] = queries(tracer);
    assert.is(span.tags.error, true);
    assert.equal([span.logs[0].event, span.logs[0].message, span.logs[0]['error.object']], ['error', 'syntax error at or near "SELEC"', thrown]);
    assert.is(span.finishCount, 1);
  });

  et('a bad query with a callback: the callback gets the error once, the span is failed once', async () => {
    const tracer = installRecordingTracer();
    const calls: unknown[] = [];
    await new Promise<void>((resolve) =>
      client.query('SELECT * FROM ts_traced_missing_table', (err) => {
        calls.push((err as Error).message);
        resolve();
      }),
    );
    await settle(10);
    assert.equal(calls, ['relation "ts_traced_missing_table" does not exist']);
    assert.equal(queries(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('a synchronous throw inside pg (callback is not a function) is thrown as pg throws it', () => {
    pg.uninstall();
    let untraced: unknown;
    try {
      client.query('SELECT 1', [], 'nope' as never);
    } catch (e) {
      untraced = outcome(e);
    }
    pg.install();
    const tracer = installRecordingTracer();
    let traced: unknown;
    try {
      client.query('SELECT 1', [], 'nope' as never);
    } catch (e) {
      traced = outcome(e);
    }
    assert.ok(untraced, '~> pg throws');
    assert.equal(traced, untraced);
    assert.equal(queries(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('an unawaited failing query still reaches unhandledRejection exactly as untraced (case 29)', async () => {
    const count = async () => {
      const seen: unknown[] = [];
      const listener = (reason: unknown) => seen.push(reason);
      process.on('unhandledRejection', listener);
      void client.query('SELEC unhandled');
      for (let i = 0; i < 100 && seen.length === 0; i++) await settle(10);
      await settle(20);
      process.off('unhandledRejection', listener);
      return seen.map((e) => (e as Error).message);
    };
    pg.uninstall();
    const untraced = await count();
    pg.install();
    const tracer = installRecordingTracer();
    const traced = await count();
    assert.equal(untraced, ['syntax error at or near "SELEC"']);
    assert.equal(traced, untraced);
    assert.equal(queries(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('a refused connection: connect() rejects with ECONNREFUSED and a failed pg.connect span', async () => {
    const port = await closedPort();
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const refused = new Client({ ...connection, port });
    const error = await withSpan(parent, () => refused.connect()).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    assert.is(error?.code, 'ECONNREFUSED');
    const [span] = tracer.byName('pg.connect');
    assert.equal([span.parent, span.tags.error, span.tags['peer.port'], span.finishCount], [parent, true, port, 1]);
    assert.is(span.logs[0]['error.object'], error);
  });

  et('a pool on a refused port: the query rejects, the pg.connect span under the caller says why', async () => {
    const port = await closedPort();
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const pool = new Pool({ ...connection, port });
    const error = await withSpan(parent, () => pool.query('SELECT 1')).catch((e: Error & { code?: string }) => e);
    await pool.end();
    assert.is((error as { code?: string }).code, 'ECONNREFUSED');
    assert.equal(tracer.byName('pg.connect').map((s) => [s.parent, s.tags.error, s.finishCount]), [[parent, true, 1]]);
    assert.is(queries(tracer).length, 0, '~> no query was sent');
  });

  et("the server ending a connection mid-query: the query fails, the client's 'error' event is as untraced (case 74)", async () => {
    const scenario = async () => {
      const victim = await connected();
      const events: string[] = [];
      victim.on('error', (e) => events.push(`error event: ${e.message}`));
      // pg emits 'error' (or not) when the socket ends, then 'end': wait for that, however busy the machine is.
      const ended = new Promise<void>((resolve) => {
        victim.once('end', () => resolve());
        setTimeout(resolve, 10_000).unref();
      });
      const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const running = victim.query('SELECT pg_sleep(5)').then(
        () => 'resolved',
        (e: Error) => `rejected: ${e.message}`,
      );
      await settle(50);
      await client.query('SELECT pg_terminate_backend($1)', [pid]);
      events.push(await running);
      await ended;
      await victim.end().catch(() => {});
      return events;
    };
    pg.uninstall();
    const untraced = await scenario();
    pg.install();
    const tracer = installRecordingTracer();
    const traced = await scenario();
    assert.equal(traced, untraced);
    const sleep = queries(tracer).find((s) => s.tags['db.statement'] === 'SELECT pg_sleep(5)');
    assert.equal([sleep?.tags.error, sleep?.finishCount], [true, 1]);
  });

  errors.after(async () => {
    if (!up) return;
    await client.end();
  });
  errors.run();

  // -------------------------------------------------------------------------------------------------------------
  const hooks = suite('pg hooks');
  const ht = up ? hooks : hooks.skip;
  hooks.before(async () => {
    if (!up) return;
    pg.uninstall(); // each test installs with its own options
    client = await connected();
  });
  hooks.after.each(() => {
    pg.uninstall();
    setTracer(undefined);
  });

  ht('requestHook sees the query and connection, responseHook the result; both can tag the span; peerService is tagged', async () => {
    const tracer = installRecordingTracer();
    const requests: unknown[] = [];
    pg.install({
      peerService: 'accounts-db',
      requestHook: (span, request) => {
        requests.push(request);
        span.setTag('app.request', true);
      },
      responseHook: (span, response) => span.setTag('app.rows', (response as pgLib.QueryResult).rowCount ?? -1),
    });
    await client.query({ name: 'ts_traced_hook', text: 'SELECT $1::int AS v', values: [5] });
    assert.equal(requests, [
      {
        text: 'SELECT $1::int AS v',
        name: 'ts_traced_hook',
        values: [5],
        connection: { database: connection.database, host: connection.host, port: connection.port, user: connection.user },
      },
    ]);
    const [span] = queries(tracer);
    assert.equal([span.tags['app.request'], span.tags['app.rows'], span.tags['peer.service']], [true, 1, 'accounts-db']);
  });

  ht('throwing hooks do no harm: same result, span finished, each fault counted', async () => {
    const tracer = installRecordingTracer();
    resetFaults();
    pg.install({
      requestHook: () => {
        throw new Error('request hook broke');
      },
      responseHook: () => {
        throw new Error('response hook broke');
      },
    });
    const result = await client.query('SELECT 3 AS three');
    assert.is(result.rows[0].three, 3);
    assert.equal(queries(tracer).map((s) => s.finishCount), [1]);
    const faults = faultCounts();
    assert.equal([faults['hook.pg.request'], faults['hook.pg.response']], [1, 1]);
  });

  ht('a tracer whose startSpan throws: the query runs untraced, the fault is counted', async () => {
    resetFaults();
    pg.install();
    setTracer({
      startSpan() {
        throw new Error('broken tracer');
      },
    } as never);
    const result = await client.query('SELECT 4 AS four');
    assert.is(result.rows[0].four, 4);
    assert.is(faultCounts()['tracer.startSpan'], 1);
  });

  ht('a tracer returning garbage spans (undefined, 42, a span whose methods throw): queries and errors as untraced (case 59)', async () => {
    pg.install({ requestHook: (span) => span.setTag('x', 1), responseHook: (span) => span.setTag('y', 1) });
    const hostile = { setTag: () => { throw new Error('setTag'); }, log: () => { throw new Error('log'); }, finish: () => { throw new Error('finish'); } };
    for (const garbage of [undefined, 42, hostile]) {
      setTracer({ startSpan: () => garbage } as never);
      const result = await client.query('SELECT 6 AS six');
      const failure = await client.query('SELEC 6').then(
        () => 'resolved',
        (e: Error) => e.message,
      );
      assert.equal([result.rows[0].six, failure], [6, 'syntax error at or near "SELEC"'], `~> with ${String(garbage)}`);
    }
  });

  hooks.after(async () => {
    if (!up) return;
    await client.end();
  });
  hooks.run();

  // -------------------------------------------------------------------------------------------------------------
  const secrets = suite('pg secrets');
  const st = up ? secrets : secrets.skip;
  const plantAll = async (c: pgLib.Client, secret: string) => {
    await c.query(`CREATE TEMP TABLE IF NOT EXISTS ${table}_s (email text, n int)`);
    await c.query(`INSERT INTO ${table}_s (email) VALUES ($1)`, [secret]);
    await c.query(`SELECT * FROM ${table}_s WHERE email = $1`, [secret]);
    await c.query({ text: `SELECT count(*) FROM ${table}_s WHERE email = $1`, values: [secret] });
    await c.query({ name: `ts_traced_secret_${table}`, text: `SELECT $1::text AS s`, values: [secret] });
    await new Promise((resolve) => c.query(`SELECT $1::text || 'x'`, [secret], resolve));
    await c.query('SELECT $1::int', [secret]).catch(() => 'echoed in the error message');
    await c.query(`INSERT INTO ${table}_s (n) VALUES ($1)`, [secret]).catch(() => 'echoed again');
    const query = new pgLib.Query(`SELECT $1::text AS s`, [secret]);
    await new Promise((resolve) => {
      query.on('end', resolve);
      query.on('error', resolve);
      c.query(query);
    });
  };
  secrets.after.each(() => {
    pg.uninstall();
    setTracer(undefined);
  });

  st('parameter values appear nowhere in names, tags or logs, failing queries included (C7.89)', async () => {
    const tracer = installRecordingTracer();
    pg.install();
    const secret = secretMarker();
    const c = await connected();
    try {
      await plantAll(c, secret);
    } finally {
      await c.end();
    }
    assert.ok(queries(tracer).length >= 9, '~> every query was traced');
    assert.ok(queries(tracer).filter((s) => s.tags.error).length >= 2, '~> including the failing ones');
    assert.equal(findMarker(tracer.started, secret), []);
  });

  st('recordParameters: true records them in db.parameters (the sweep above can find them)', async () => {
    const tracer = installRecordingTracer();
    pg.install({ recordParameters: true });
    const secret = secretMarker();
    const c = await connected();
    try {
      await c.query('SELECT $1::text AS s, $2::int AS n', [secret, 5]);
    } finally {
      await c.end();
    }
    assert.is(queries(tracer)[0].tags['db.parameters'], JSON.stringify([secret, '5']));
    assert.ok(findMarker(tracer.started, secret).length > 0);
  });
  secrets.run();

  // -------------------------------------------------------------------------------------------------------------
  const lifecycle = suite('pg.install / pg.uninstall');
  const lt = up ? lifecycle : lifecycle.skip;
  lifecycle.after.each(() => setTracer(undefined));

  lt('installing twice changes nothing: same patched functions, one span per query', async () => {
    pg.install();
    const once = { query: clientProto.query, _connect: clientProto._connect, poolConnect: poolProto.connect };
    pg.install({ peerService: 'ignored' });
    assert.equal({ query: clientProto.query, _connect: clientProto._connect, poolConnect: poolProto.connect }, once);
    assert.is.not(once.query, originals.query, '~> it is patched');
    const tracer = installRecordingTracer();
    const c = await connected();
    await c.query('SELECT 1');
    await c.end();
    assert.equal(tracer.started.map((s) => s.name), ['pg.connect', 'pg.query']);
    assert.is(queries(tracer)[0].tags['peer.service'], undefined, '~> the second install did not change the options');
  });

  lt("uninstall restores pg's own functions, and a patched function kept aside stops recording", async () => {
    pg.install();
    const kept = clientProto.query as (this: pgLib.Client, text: string) => Promise<pgLib.QueryResult>;
    pg.uninstall();
    assert.equal({ query: clientProto.query, _connect: clientProto._connect, poolConnect: poolProto.connect }, originals);
    assert.is(pg.installed, false);
    const tracer = installRecordingTracer();
    const c = await connected();
    await c.query('SELECT 1');
    assert.is((await kept.call(c, 'SELECT 2 AS two')).rows[0].two, 2);
    await c.end();
    assert.is(tracer.started.length, 0);
    pg.uninstall();
    assert.is(clientProto.query, originals.query, '~> a second uninstall changes nothing');
  });

  lt('install after uninstall traces again', async () => {
    pg.install();
    pg.uninstall();
    pg.install();
    const tracer = installRecordingTracer();
    const c = await connected();
    await c.query('SELECT 1');
    await c.end();
    assert.is(queries(tracer).length, 1);
    pg.uninstall();
  });

  lifecycle('declares the supported major versions', () => {
    assert.is(pg.name, 'pg');
    assert.is(pg.supported, '8.x');
  });
  lifecycle.run();
}

void main();
