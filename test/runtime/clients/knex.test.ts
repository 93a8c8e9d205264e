/**
 * knex over pg against the real PostgreSQL: a knex query is the pg span of the SQL knex generates, under the
 * caller's span, with its bindings nowhere in the span.
 */
import { randomBytes } from 'node:crypto';
import createKnex, { type Knex } from 'knex';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pg } from '../../../src/runtime/clients/pg';
import { withSpan } from '../../../src/runtime/scope';
import { setTracer } from '../../../src/runtime/tracer';
import { installRecordingTracer, type RecordedSpan } from '../../helpers/mock-tracer';
import { findMarker, secretMarker } from '../../helpers/secrets';
import { SERVICES, serviceAvailable } from '../../helpers/services';

const connection = {
  host: SERVICES.postgres.host,
  port: SERVICES.postgres.port,
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD,
  database: process.env.PGDATABASE ?? 'test',
};
const table = `ts_traced_knex_${randomBytes(4).toString('hex')}`;
const queries = (tracer: { started: RecordedSpan[] }) => tracer.started.filter((s) => s.name === 'pg.query');

async function main(): Promise<void> {
  const up = await serviceAvailable('postgres');
  let knex: Knex;

  const over = suite('knex over pg');
  const it = up ? over : over.skip;
  over.before(async () => {
    if (!up) return;
    pg.install();
    knex = createKnex({ client: 'pg', connection, pool: { min: 0, max: 2 } });
    await knex.schema.createTable(table, (t) => {
      t.increments('id');
      t.string('email');
    });
  });
  over.after.each(() => setTracer(undefined));

  it("a knex query is one pg span with knex's SQL under the caller's span, bindings left out", async () => {
    const tracer = installRecordingTracer();
    const secret = secretMarker();
    const parent = tracer.startSpan('parent');
    // A builder runs when awaited, so it is awaited inside the parent's scope, as a traced async function would.
    const rows = await withSpan(parent, async () => await knex(table).where({ email: secret }).select('id'));
    assert.equal(rows, []);
    const spans = queries(tracer);
    assert.equal(
      spans.map((s) => [s.tags['db.statement'], s.tags.component, s.parent, s.finishCount]),
      [[`select "id" from "${table}" where "email" = $1`, 'pg', parent, 1]],
    );
    assert.equal(findMarker(tracer.started, secret), []);
  });

  it('C7.89 inserts, raw queries with bindings and a transaction: every statement traced, no value recorded', async () => {
    const tracer = installRecordingTracer();
    const secret = secretMarker();
    const parent = tracer.startSpan('parent');
    await withSpan(parent, () =>
      knex.transaction(async (trx) => {
        await trx(table).insert({ email: secret });
        await trx.raw(`select count(*) from "${table}" where "email" = ?`, [secret]);
      }),
    );
    const statements = queries(tracer).map((s) => s.tags['db.statement']);
    assert.equal(statements, [
      'BEGIN;',
      `insert into "${table}" ("email") values ($1)`,
      `select count(*) from "${table}" where "email" = $1`,
      'COMMIT;',
    ]);
    assert.ok(queries(tracer).every((s) => s.parent === (parent as unknown) && s.finishCount === 1));
    assert.equal(findMarker(tracer.started, secret), []);
  });

  it("a failing knex query rejects with knex's error as untraced; the pg span is failed once", async () => {
    const failing = () => knex('ts_traced_knex_missing').select('*').then(
      () => 'resolved',
      (e: Error) => [e.constructor.name, e.message],
    );
    pg.uninstall();
    const untraced = await failing();
    pg.install();
    const tracer = installRecordingTracer();
    const traced = await failing();
    assert.equal(traced, untraced);
    assert.equal(queries(tracer).map((s) => [s.tags.error, s.finishCount]), [[true, 1]]);
  });

  over.after(async () => {
    if (!up) return;
    await knex.schema.dropTableIfExists(table);
    await knex.destroy();
    pg.uninstall();
  });
  over.run();
}

void main();
