/**
 * mysql2 against the real MariaDB on 127.0.0.1: `query` and `execute` in the callback, promise and streamed forms,
 * prepared statements (`prepare`, `statement.execute`, `statement.close`), pools (including callers queued for a
 * connection), connection failures, the library's own error behaviour, hooks, install/uninstall, and that
 * parameter values never reach a span (mysql2 inlines them into the SQL it sends) unless asked for.
 */
import { randomBytes } from 'node:crypto';
import * as mysql from 'mysql2';
import * as mysqlPromise from 'mysql2/promise';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mysql2 } from '../../../src/runtime/clients/mysql2';
import { faultCounts, resetFaults } from '../../../src/runtime/safe';
import { activeSpan, withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { closedPort } from '../../helpers/closed-port';
import { installRecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';
import { untracedThenTraced } from '../../helpers/untraced-then-traced';

const connection = {
  host: SERVICES.mariadb.host,
  port: SERVICES.mariadb.port,
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD,
  database: process.env.MYSQL_DATABASE ?? 'test',
};
const table = `ts_traced_my_${randomBytes(4).toString('hex')}`;

/** mysql2's own functions, before anything patched them. */
const connectionProto = Object.getPrototypeOf(mysql.Connection.prototype) as Record<string, unknown>;
const poolProto = Object.getPrototypeOf((mysql as unknown as { Pool: { prototype: object } }).Pool.prototype) as Record<string, unknown>;
const snapshot = () => ({
  query: connectionProto.query,
  execute: connectionProto.execute,
  prepare: connectionProto.prepare,
  connect: connectionProto.connect,
  getConnection: poolProto.getConnection,
});
const originals = snapshot();

const statements = (tracer: { started: RecordedSpan[] }) =>
  tracer.started.filter((s) => s.name === 'mysql2.query' || s.name === 'mysql2.execute');
const firstFrame = (error: unknown) => String((error as Error).stack).split('\n').find((l) => l.trim().startsWith('at '));
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Done = (err: mysql.QueryError | null, rows?: any) => void;
/** A callback-API prepared statement, as `prepare` yields it (its `execute` without a callback returns the command). */
type Statement = mysql.PrepareStatementInfo & { execute(values?: unknown): mysql.Query };
const prepared = (c: mysql.Connection, sql: string) =>
  new Promise<Statement>((resolve, reject) => c.prepare(sql, (err, statement) => (err ? reject(err) : resolve(statement as Statement))));

async function main(): Promise<void> {
  const up = await serviceAvailable('mariadb');
  let conn: mysqlPromise.Connection;
  let raw: mysql.Connection;

  // -------------------------------------------------------------------------------------------------------------
  const forms = suite('mysql2 statements');
  const it = up ? forms : forms.skip;
  forms.before(async () => {
    if (!up) return;
    mysql2.install();
    conn = await mysqlPromise.createConnection(connection);
    raw = mysql.createConnection(connection);
    await conn.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(100), n INT)`);
  });
  forms.after.each(() => setTracer(undefined));

  it('a promise query is a child span of the caller with the OpenTracing tags and the SQL as written, finished once', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const [rows] = await withSpan(parent, () => conn.query('SELECT ? + 1 AS n', [41]));
    assert.equal(rows, [{ n: 42 }], "~> mysql2's result");
    const [span] = statements(tracer);
    assert.is(span.parent, parent);
    assert.equal(
      { ...span.tags },
      {
        'span.kind': 'client',
        component: 'mysql2',
        'db.type': 'sql',
        'db.instance': connection.database,
        'db.user': connection.user,
        'db.statement': 'SELECT ? + 1 AS n',
        'peer.hostname': connection.host,
        'peer.port': connection.port,
      },
    );
    assert.equal([span.name, span.finishCount], ['mysql2.query', 1]);
  });

  it('execute (prepared) is a mysql2.execute span', async () => {
    const tracer = installRecordingTracer();
    const [rows] = await conn.execute('SELECT ? AS v', ['x']);
    assert.equal(rows, [{ v: 'x' }]);
    assert.equal(statements(tracer).map((s) => [s.name, s.tags['db.statement'], s.finishCount]), [['mysql2.execute', 'SELECT ? AS v', 1]]);
  });

  it('callback forms of query and execute: each callback once, span ended first, caller context inside', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const seen: unknown[] = [];
    const run = (start: (done: Done) => void) =>
      new Promise<void>((resolve, reject) =>
        withSpan(parent, () =>
          start((err, rows) => {
            const open = statements(tracer).filter((s) => s.finishCount === 0).length;
            seen.push([err, rows?.[0]?.v, activeSpan() === (parent as unknown), open]);
            if (err) reject(err);
            else resolve();
          }),
        ),
      );
    await run((done) => raw.query("SELECT 'a' AS v", done));
    await run((done) => raw.query('SELECT ? AS v', ['b'], done));
    await run((done) => raw.query({ sql: 'SELECT ? AS v', values: ['c'] }, done));
    await run((done) => raw.execute('SELECT ? AS v', ['d'], done));
    await run((done) => raw.execute("SELECT 'e' AS v", done));
    assert.equal(
      seen,
      ['a', 'b', 'c', 'd', 'e'].map((v) => [null, v, true, 0]),
    );
    assert.equal(
      statements(tracer).map((s) => [s.name, s.tags['db.statement'], s.parent === (parent as unknown), s.finishCount]),
      [
        ['mysql2.query', "SELECT 'a' AS v", true, 1],
        ['mysql2.query', 'SELECT ? AS v', true, 1],
        ['mysql2.query', 'SELECT ? AS v', true, 1],
        ['mysql2.execute', 'SELECT ? AS v', true, 1],
        ['mysql2.execute', "SELECT 'e' AS v", true, 1],
      ],
    );
  });

  it("a streamed query (no callback) ends at its 'end' event, adds no listener, and is left as mysql2 made it", async () => {
    const tracer = installRecordingTracer();
    const rows: unknown[] = [];
    const command = raw.query('SELECT 1 AS i UNION SELECT 2');
    assert.is(command.listenerCount('error'), 0, '~> an unlistened error still throws as mysql2 meant');
    assert.is(command.listenerCount('end'), 0);
    await new Promise<void>((resolve, reject) => {
      command.on('result', (row: unknown) => rows.push(row));
      command.on('error', reject);
      command.on('end', () => resolve());
    });
    assert.equal(rows, [{ i: 1 }, { i: 2 }]);
    assert.equal(statements(tracer).map((s) => [s.tags['db.statement'], s.finishCount]), [['SELECT 1 AS i UNION SELECT 2', 1]]);
    assert.not.ok(Object.prototype.hasOwnProperty.call(command, 'emit'), '~> emit is the prototype one again');
  });

  it('pool queries are children of each caller, also for callers queued for the one connection (case 49)', async () => {
    const tracer = installRecordingTracer();
    const pool = mysqlPromise.createPool({ ...connection, connectionLimit: 1 });
    const callbackPool = mysql.createPool({ ...connection, connectionLimit: 1 });
    try {
      const parents = Array.from({ length: 12 }, (_, i) => tracer.startSpan(`caller-${i}`));
      const results = await Promise.all(
        parents.map((parent, i) =>
          withSpan(parent, () =>
            i % 2
              ? pool.execute('SELECT ? AS i, SLEEP(0.005) AS s', [i]).then(([rows]) => (rows as { i: number }[])[0].i)
              : new Promise((resolve, reject) =>
                  callbackPool.query('SELECT ? AS i', [i], (err, rows: any) =>
                    err ? reject(err) : resolve([rows[0].i, activeSpan() === (parent as unknown)]),
                  ),
                ),
          ),
        ),
      );
      assert.equal(results, parents.map((_, i) => (i % 2 ? i : [i, true])), '~> results, callbacks in the caller context');
      const spans = statements(tracer);
      assert.is(spans.length, 12);
      assert.is(new Set(spans.map((s) => s.parent)).size, 12, '~> each caller got its own statement span');
      for (const span of spans) assert.ok(span.parent?.name.startsWith('caller-'), `~> ${span.path}`);
      assert.equal(
        tracer.byName('mysql2.connect').map((s) => [s.parent?.name, s.tags.error, s.finishCount]),
        [
          ['caller-0', undefined, 1],
          ['caller-1', undefined, 1],
        ],
        '~> one connection opened by each pool, under the caller that needed it',
      );
    } finally {
      await pool.end();
      await new Promise((resolve) => callbackPool.end(resolve));
    }
  });

  it('no tracer: statements run as mysql2 runs them and nothing is recorded', async () => {
    const tracer = installRecordingTracer();
    setTracer(undefined);
    const [rows] = await conn.query('SELECT 7 AS seven');
    assert.equal(rows, [{ seven: 7 }]);
    assert.is(tracer.started.length, 0);
  });

  forms.after(async () => {
    if (!up) return;
    await conn.query(`DROP TABLE IF EXISTS ${table}`);
    await conn.end();
    raw.end();
  });
  forms.run();

  // -------------------------------------------------------------------------------------------------------------
  const errors = suite('mysql2 errors');
  const et = up ? errors : errors.skip;
  errors.before(async () => {
    if (!up) return;
    mysql2.install();
    conn = await mysqlPromise.createConnection(connection);
    raw = mysql.createConnection(connection);
  });
  errors.after.each(() => setTracer(undefined));

  const outcome = (error: unknown) => {
    const e = error as { constructor: unknown; message: string; code?: string; errno?: number };
    return { type: e.constructor, message: e.message, code: e.code, errno: e.errno, frame: firstFrame(error) };
  };

  et("a bad query rejects with mysql2's own error (class, code, first stack frame) and the span records it", async () => {
    // mysql2/promise points the error's stack at the caller: one call site for both runs.
    let thrown: unknown;
    const attempt = () => conn.query('SELEC 1').then(outcome, (e) => outcome((thrown = e)));
    const { untraced, traced, tracer } = await untracedThenTraced(mysql2, attempt);
    assert.equal(traced, untraced);
    assert.is(traced.code, 'ER_PARSE_ERROR');
    assert.match(String(traced.frame), /mysql2\.test\.ts/, "~> mysql2's own stack rewrite, pointing at the caller");
    const [span] = statements(tracer);
    assert.is(span.tags.error, true);
    assert.equal([span.logs[0].event, span.logs[0]['error.object']], ['error', thrown]);
    assert.is(span.finishCount, 1);
  });

  et('a bad statement with a callback: the callback gets the error once, the span is failed once', async () => {
    const tracer = installRecordingTracer();
    const calls: unknown[] = [];
    await new Promise<void>((resolve) =>
      raw.execute('SELECT * FROM ts_traced_missing_table', (err) => {
        calls.push(err?.code);
        resolve();
      }),
    );
    await settle(10);
    assert.equal(calls, ['ER_NO_SUCH_TABLE']);
    assert.equal(statements(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et("a streamed query's error reaches the listener once and fails the span", async () => {
    const tracer = installRecordingTracer();
    const command = raw.query('SELEC 2');
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      command.on('error', (e: mysql.QueryError) => events.push(`error ${e.code}`));
      command.on('end', () => {
        events.push('end');
        resolve();
      });
    });
    assert.equal(events, ['error ER_PARSE_ERROR', 'end']);
    assert.equal(statements(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('a synchronous throw inside mysql2 (undefined bind value) is thrown as mysql2 throws it', () => {
    const attempt = () => {
      try {
        raw.execute('SELECT ? AS v', [undefined] as never, () => {});
        return 'returned';
      } catch (e) {
        return outcome(e);
      }
    };
    mysql2.uninstall();
    const untraced = attempt();
    mysql2.install();
    const tracer = installRecordingTracer();
    const traced = attempt();
    assert.equal(traced, untraced);
    assert.is((traced as { type: unknown }).type, TypeError);
    assert.equal(statements(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et('an unawaited failing promise query still reaches unhandledRejection exactly as untraced (case 29)', async () => {
    const count = async () => {
      const seen: unknown[] = [];
      const listener = (reason: unknown) => seen.push(reason);
      process.on('unhandledRejection', listener);
      void conn.query('SELEC unhandled');
      for (let i = 0; i < 100 && seen.length === 0; i++) await settle(10);
      await settle(20);
      process.off('unhandledRejection', listener);
      return seen.map((e) => (e as { code?: string }).code);
    };
    const { untraced, traced, tracer } = await untracedThenTraced(mysql2, count);
    assert.equal(untraced, ['ER_PARSE_ERROR']);
    assert.equal(traced, untraced);
    assert.equal(statements(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  et("a refused connection: the waiting query's callback gets ECONNREFUSED and its span fails", async () => {
    const port = await closedPort();
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const refused = mysql.createConnection({ ...connection, port });
    refused.on('error', () => {}); // the connection's own event, as an app would handle it
    const code = await new Promise((resolve) =>
      withSpan(parent, () => refused.query('SELECT 1', (err: mysql.QueryError | null) => resolve(err?.code))),
    );
    assert.is(code, 'ECONNREFUSED');
    assert.equal(statements(tracer).map((s) => [s.parent, s.tags.error, s.tags['peer.port'], s.finishCount]), [[parent, true, port, 1]]);
  });

  et('a pool on a refused port: the query rejects, a failed mysql2.connect span under the caller says why', async () => {
    const port = await closedPort();
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const pool = mysqlPromise.createPool({ ...connection, port });
    const error = await withSpan(parent, () => pool.query('SELECT 1')).catch((e: { code?: string }) => e);
    await pool.end();
    assert.is((error as { code?: string }).code, 'ECONNREFUSED');
    assert.equal(tracer.byName('mysql2.connect').map((s) => [s.parent, s.tags.error, s.finishCount]), [[parent, true, 1]]);
    assert.is(statements(tracer).length, 0, '~> no statement was sent');
  });

  et('the server killing the connection mid-query: the query fails as untraced and its span fails once (case 74)', async () => {
    const scenario = async () => {
      const victim = await mysqlPromise.createConnection(connection);
      const events: string[] = [];
      victim.on('error', (e: { code?: string }) => events.push(`error event: ${e.code}`));
      const running = victim.query('SELECT SLEEP(5)').then(
        () => 'resolved',
        (e: { code?: string }) => `rejected: ${e.code}`,
      );
      await settle(50);
      await conn.query(`KILL ${victim.threadId}`);
      events.push(await running);
      await settle(50);
      victim.destroy();
      return events;
    };
    const { untraced, traced, tracer } = await untracedThenTraced(mysql2, scenario);
    assert.equal(traced, untraced);
    const sleep = statements(tracer).find((s) => s.tags['db.statement'] === 'SELECT SLEEP(5)');
    assert.equal([sleep?.tags.error, sleep?.finishCount], [true, 1]);
  });

  errors.after(async () => {
    if (!up) return;
    await conn.end();
    raw.end();
  });
  errors.run();

  // -------------------------------------------------------------------------------------------------------------
  const prepare = suite('mysql2 prepared statements');
  const pt = up ? prepare : prepare.skip;
  /** The prepared statements' class's own `execute` (mysql2 does not export the class). */
  let ownStatementExecute: unknown;
  prepare.before(async () => {
    if (!up) return;
    mysql2.uninstall();
    raw = mysql.createConnection(connection);
    ownStatementExecute = Object.getPrototypeOf(await prepared(raw, 'SELECT 1')).execute;
    mysql2.install();
    conn = await mysqlPromise.createConnection(connection);
  });
  prepare.after.each(() => setTracer(undefined));
  const statementExecute = (statement: object) => Object.getPrototypeOf(statement).execute as unknown;

  pt('prepare() is a mysql2.prepare span, each statement.execute() a mysql2.execute span with the prepared SQL; close() none', async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const results = await withSpan(parent, async () => {
      const statement = await conn.prepare('SELECT ? AS v, ? + 1 AS n');
      const rows = [(await statement.execute(['x', 1]))[0], (await statement.execute(['y', 2]))[0]];
      await statement.close();
      return rows;
    });
    assert.equal(results, [[{ v: 'x', n: 2 }], [{ v: 'y', n: 3 }]], "~> mysql2's results");
    const spans = tracer.started.filter((s) => s.name.startsWith('mysql2.'));
    assert.equal(
      spans.map((s) => [s.name, s.tags['db.statement'], s.parent === (parent as unknown), s.finishCount]),
      [
        ['mysql2.prepare', 'SELECT ? AS v, ? + 1 AS n', true, 1],
        ['mysql2.execute', 'SELECT ? AS v, ? + 1 AS n', true, 1],
        ['mysql2.execute', 'SELECT ? AS v, ? + 1 AS n', true, 1],
      ],
      '~> close() sends a packet the server never answers: no span',
    );
    assert.equal(
      { ...spans[1].tags },
      {
        'span.kind': 'client',
        component: 'mysql2',
        'db.type': 'sql',
        'db.instance': connection.database,
        'db.user': connection.user,
        'db.statement': 'SELECT ? AS v, ? + 1 AS n',
        'peer.hostname': connection.host,
        'peer.port': connection.port,
      },
      '~> the tags of mysql2.execute, no parameter values',
    );
  });

  pt("callback API: each callback once, span ended first, in the caller's context; a streamed execute ends at 'end'", async () => {
    const tracer = installRecordingTracer();
    const parent = tracer.startSpan('parent');
    const seen: unknown[] = [];
    const open = () => tracer.started.filter((s) => s.name.startsWith('mysql2.') && s.finishCount === 0).length;
    const note = (what: string, err: unknown, value?: unknown) => seen.push([what, err, value, activeSpan() === (parent as unknown), open()]);
    await new Promise<void>((resolve, reject) =>
      withSpan(parent, () =>
        raw.prepare('SELECT ? AS v', (err, statement) => {
          note('prepare', err);
          (statement as Statement).execute(['a'], (err2: unknown, rows: any) => {
            note('execute', err2, rows[0].v);
            const rowsSeen: unknown[] = [];
            const command = (statement as Statement).execute(['b']);
            assert.is(command.listenerCount('error'), 0, '~> no listener added');
            command.on('result', (row: any) => rowsSeen.push(row.v));
            command.on('error', reject);
            command.on('end', () => {
              seen.push(['end', rowsSeen, open()]); // an event: it runs where mysql2 emits it, as untraced
              statement.close();
              resolve();
            });
          });
        }),
      ),
    );
    assert.equal(seen, [
      ['prepare', null, undefined, true, 0],
      ['execute', null, 'a', true, 0],
      ['end', ['b'], 0],
    ]);
    assert.equal(
      tracer.started.filter((s) => s.name.startsWith('mysql2.')).map((s) => [s.name, s.parent === (parent as unknown), s.finishCount]),
      [
        ['mysql2.prepare', true, 1],
        ['mysql2.execute', true, 1],
        ['mysql2.execute', true, 1],
      ],
    );
  });

  pt('a bad SQL fails the prepare span, a closed statement its execute span; both reject as untraced', async () => {
    const failure = (e: { code?: string; message: string }) => [e.code, e.message.replace(/\(\d+\)/, '(id)')];
    const scenario = async () => {
      const bad = await conn.prepare('SELEC ?').then(() => 'prepared', failure);
      const statement = await conn.prepare('SELECT ? AS closed');
      await statement.close();
      const closed = await statement.execute([1]).then(() => 'executed', failure);
      conn.unprepare('SELECT ? AS closed');
      return [bad, closed];
    };
    const { untraced, traced, tracer } = await untracedThenTraced(mysql2, scenario);
    assert.equal(traced, untraced);
    assert.equal(untraced.map((o) => o[0]), ['ER_PARSE_ERROR', 'ER_UNKNOWN_STMT_HANDLER']);
    assert.equal(
      tracer.started.map((s) => [s.name, s.tags['db.statement'], s.tags.error, s.finishCount]),
      [
        ['mysql2.prepare', 'SELEC ?', true, 1],
        ['mysql2.prepare', 'SELECT ? AS closed', undefined, 1],
        ['mysql2.execute', 'SELECT ? AS closed', true, 1],
      ],
    );
    assert.match(String(tracer.started[2].logs[0].message), /Unknown prepared statement handler/);
  });

  pt('a statement prepared with no tracer is traced once one is set; no tracer, no span', async () => {
    setTracer(undefined);
    const statement = await prepared(raw, 'SELECT ? AS later');
    const run = (value: number) => new Promise((resolve) => statement.execute([value], (_err: unknown, rows: any) => resolve(rows[0].later)));
    assert.is(await run(1), 1);
    const tracer = installRecordingTracer();
    assert.is(await run(2), 2);
    setTracer(undefined);
    assert.is(await run(3), 3);
    statement.close();
    assert.equal(tracer.started.map((s) => [s.name, s.finishCount]), [['mysql2.execute', 1]]);
  });

  pt("uninstall restores the statements' own execute, and a statement made while installed stops recording", async () => {
    const statement = await prepared(raw, 'SELECT ? AS kept');
    assert.is.not(statementExecute(statement), ownStatementExecute, '~> patched while installed');
    mysql2.uninstall();
    assert.is(statementExecute(statement), ownStatementExecute, '~> the very same function after uninstall');
    assert.equal(snapshot(), originals);
    const tracer = installRecordingTracer();
    const rows = await new Promise((resolve) => statement.execute([4], (_err: unknown, r: any) => resolve(r)));
    const again = await conn.prepare('SELECT ? AS again');
    await again.execute([5]);
    statement.close();
    await again.close();
    assert.equal(rows, [{ kept: 4 }]);
    assert.is(tracer.started.length, 0);
    mysql2.install();
  });

  prepare.after(async () => {
    if (!up) return;
    await conn.end();
    raw.end();
  });
  prepare.run();

  // -------------------------------------------------------------------------------------------------------------
  const hooks = suite('mysql2 hooks');
  const ht = up ? hooks : hooks.skip;
  hooks.before(async () => {
    if (!up) return;
    mysql2.uninstall(); // each test installs with its own options
    conn = await mysqlPromise.createConnection(connection);
  });
  hooks.after.each(() => {
    mysql2.uninstall();
    setTracer(undefined);
  });

  ht('requestHook sees the statement, values and connection; responseHook rows and fields; peerService is tagged', async () => {
    const tracer = installRecordingTracer();
    const requests: unknown[] = [];
    mysql2.install({
      peerService: 'orders-db',
      requestHook: (span, request) => {
        requests.push(request);
        span.setTag('app.request', true);
      },
      responseHook: (span, response) => span.setTag('app.rows', (response.rows as unknown[]).length),
    });
    await conn.execute('SELECT ? AS v', [5]);
    assert.equal(requests, [
      {
        sql: 'SELECT ? AS v',
        values: [5],
        connection: { database: connection.database, host: connection.host, port: connection.port, user: connection.user },
      },
    ]);
    const [span] = statements(tracer);
    assert.equal([span.tags['app.request'], span.tags['app.rows'], span.tags['peer.service']], [true, 1, 'orders-db']);
  });

  ht("statement.execute() passes the prepared SQL and its values to requestHook and rows to responseHook; prepare() runs no hook", async () => {
    const tracer = installRecordingTracer();
    const requests: unknown[] = [];
    const responses: unknown[] = [];
    mysql2.install({ requestHook: (_span, request) => requests.push([request.sql, request.values]), responseHook: (_span, response) => responses.push(response.rows) });
    const statement = await conn.prepare('SELECT ? AS v');
    await statement.execute([6]);
    await statement.close();
    assert.equal(requests, [['SELECT ? AS v', [6]]]);
    assert.equal(responses, [[{ v: 6 }]]);
    assert.equal(tracer.started.map((s) => s.name), ['mysql2.prepare', 'mysql2.execute']);
  });

  ht('throwing hooks do no harm: same result, span finished, each fault counted', async () => {
    const tracer = installRecordingTracer();
    resetFaults();
    mysql2.install({
      requestHook: () => {
        throw new Error('request hook broke');
      },
      responseHook: () => {
        throw new Error('response hook broke');
      },
    });
    const [rows] = await conn.query('SELECT 3 AS three');
    assert.equal(rows, [{ three: 3 }]);
    assert.equal(statements(tracer).map((s) => s.finishCount), [1]);
    const faults = faultCounts();
    assert.equal([faults['hook.mysql2.request'], faults['hook.mysql2.response']], [1, 1]);
  });

  hooks.after(async () => {
    if (!up) return;
    await conn.end();
  });
  hooks.run();

  // -------------------------------------------------------------------------------------------------------------
  const secrets = suite('mysql2 secrets');
  const st = up ? secrets : secrets.skip;
  secrets.after.each(() => {
    mysql2.uninstall();
    setTracer(undefined);
  });

  const plantAll = async (secret: string) => {
    const c = await mysqlPromise.createConnection({ ...connection, namedPlaceholders: false });
    const named = await mysqlPromise.createConnection({ ...connection, namedPlaceholders: true });
    const pool = mysqlPromise.createPool({ ...connection, connectionLimit: 1 });
    const cb = mysql.createConnection(connection);
    try {
      await c.query("SET SESSION sql_mode = 'STRICT_ALL_TABLES'");
      await c.query(`CREATE TEMPORARY TABLE ${table}_s (email VARCHAR(100), n INT)`);
      await c.query(`INSERT INTO ${table}_s (email) VALUES (?)`, [secret]);
      await c.query({ sql: `SELECT * FROM ${table}_s WHERE email = ?`, values: [secret] });
      await c.execute(`SELECT * FROM ${table}_s WHERE email = ?`, [secret]);
      await named.query('SELECT :email AS e', { email: secret });
      await pool.query('SELECT ? AS s', [secret]);
      await pool.execute('SELECT ? AS s', [secret]);
      await new Promise((resolve) => cb.query('SELECT ? AS s', [secret], resolve));
      await new Promise((resolve) => cb.query('SELECT ? AS s', [secret]).on('end', resolve));
      await c.query(`INSERT INTO ${table}_s (n) VALUES (?)`, [secret]).catch(() => 'Incorrect integer value: echoed');
      await c.query('SELECT ? FROM', [secret]).catch(() => 'syntax error near the inlined value: echoed');
      await c.execute(`INSERT INTO ${table}_s (n) VALUES (?)`, [secret]).catch(() => 'echoed by execute too');
      const select = await c.prepare(`SELECT * FROM ${table}_s WHERE email = ?`);
      await select.execute([secret]);
      const insert = await c.prepare(`INSERT INTO ${table}_s (n) VALUES (?)`);
      await insert.execute([secret]).catch(() => 'echoed by a prepared statement');
      const statement = await prepared(cb, 'SELECT ? AS s');
      await new Promise((resolve) => statement.execute([secret], resolve));
      await new Promise((resolve) => statement.execute([secret]).on('end', resolve));
    } finally {
      await c.end();
      await named.end();
      await pool.end();
      cb.end();
    }
  };

  st('parameter values appear nowhere in names, tags or logs, failing statements included (C7.89)', async () => {
    const tracer = installRecordingTracer();
    mysql2.install();
    const secret = secretMarker();
    await plantAll(secret);
    assert.ok(statements(tracer).length >= 17, '~> every statement was traced, prepared ones included');
    assert.ok(statements(tracer).filter((s) => s.tags.error).length >= 4, '~> including the failing ones');
    assert.equal(findMarker(tracer.started, secret), []);
  });

  st('recordParameters: true records them in db.parameters (the sweep above can find them)', async () => {
    const tracer = installRecordingTracer();
    mysql2.install({ recordParameters: true });
    const secret = secretMarker();
    const c = await mysqlPromise.createConnection({ ...connection, namedPlaceholders: true });
    try {
      await c.execute('SELECT ? AS s, ? AS n', [secret, 5]);
      await c.query('SELECT :email AS e', { email: secret });
      await (await c.prepare('SELECT ? AS p')).execute([secret]);
    } finally {
      await c.end();
    }
    assert.equal(statements(tracer).map((s) => s.tags['db.parameters']), [
      JSON.stringify([secret, '5']),
      JSON.stringify({ email: secret }),
      JSON.stringify([secret]),
    ]);
    assert.ok(findMarker(tracer.started, secret).length > 0);
  });
  secrets.run();

  // -------------------------------------------------------------------------------------------------------------
  const lifecycle = suite('mysql2.install / mysql2.uninstall');
  const lt = up ? lifecycle : lifecycle.skip;
  lifecycle.after.each(() => setTracer(undefined));

  lt('installing twice changes nothing: same patched functions, one span per statement', async () => {
    mysql2.install();
    const once = snapshot();
    mysql2.install({ peerService: 'ignored' });
    assert.equal(snapshot(), once);
    assert.is.not(once.query, originals.query, '~> it is patched');
    const tracer = installRecordingTracer();
    const c = await mysqlPromise.createConnection(connection);
    await c.query('SELECT 1');
    await c.end();
    assert.equal(statements(tracer).map((s) => [s.name, s.tags['peer.service']]), [['mysql2.query', undefined]]);
  });

  lt("uninstall restores mysql2's own functions, and a patched function kept aside stops recording", async () => {
    mysql2.install();
    const kept = connectionProto.query as (this: mysql.Connection, sql: string, cb: Done) => unknown;
    mysql2.uninstall();
    assert.equal(snapshot(), originals);
    assert.is(mysql2.installed, false);
    const tracer = installRecordingTracer();
    const c = mysql.createConnection(connection);
    await new Promise((resolve) => c.query('SELECT 1', resolve));
    await new Promise((resolve) => kept.call(c, 'SELECT 2', resolve));
    c.end();
    assert.is(tracer.started.length, 0);
    mysql2.uninstall();
    assert.equal(snapshot(), originals, '~> a second uninstall changes nothing');
  });

  lifecycle('declares the supported major versions', () => {
    assert.equal([mysql2.name, mysql2.supported], ['mysql2', '3.x']);
  });
  lifecycle.run();
}

void main();
