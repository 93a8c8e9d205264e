/**
 * Installing the client wrappers by name: everything present, a chosen list (all or nothing), options per library,
 * unsupported versions and unknown names reported clearly, nothing logged unless asked, uninstall of all, and
 * `import 'ts-traced'` loading none of the libraries.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import * as mysql from 'mysql2';
import * as pgLib from 'pg';
import { RedisClient } from 'redis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { installAllPatches, installPatches, uninstallAllPatches } from '../../../src/runtime/clients/index';
import { ClientInstallError } from '../../../src/runtime/clients/install';
import { ioredis } from '../../../src/runtime/clients/ioredis';
import { mysql2 } from '../../../src/runtime/clients/mysql2';
import { pg } from '../../../src/runtime/clients/pg';
import { redis } from '../../../src/runtime/clients/redis';
import { setTracer } from '../../../src/runtime/tracer';
import { installRecordingTracer } from '../../helpers/mock-tracer';
import { SERVICES, serviceAvailable } from '../../helpers/services';

const MINE = ['pg', 'mysql2', 'ioredis', 'redis'];
const wrappers = [pg, mysql2, ioredis, redis];

/** The functions each wrapper patches, as they are now. */
const patched = () => ({
  pg: (pgLib.Client.prototype as unknown as Record<string, unknown>).query,
  mysql2: (Object.getPrototypeOf(mysql.Connection.prototype) as Record<string, unknown>).query,
  ioredis: (Redis.prototype as unknown as Record<string, unknown>).sendCommand,
  redis: (RedisClient.prototype as unknown as Record<string, unknown>).sendCommand,
});
const originals = patched();

/** Runs `fn` with everything a library could print through captured: console, stdout/stderr, process warnings. */
function silently<R>(fn: () => R): { result: R; printed: string[] } {
  const printed: string[] = [];
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const out = process.stdout.write;
  const err = process.stderr.write;
  const onWarning = (w: Error) => printed.push(`warning: ${w.message}`);
  for (const name of Object.keys(saved) as (keyof typeof saved)[]) console[name] = (...args: unknown[]) => printed.push(args.join(' '));
  process.stdout.write = ((chunk: unknown) => printed.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => printed.push(String(chunk)) > 0) as typeof process.stderr.write;
  process.on('warning', onWarning);
  try {
    return { result: fn(), printed };
  } finally {
    Object.assign(console, saved);
    process.stdout.write = out;
    process.stderr.write = err;
    process.off('warning', onWarning);
  }
}

/** A project folder whose node_modules holds pg 7.4.0 (what an application on an old pg has), made the cwd. */
function withOldPg<R>(fn: () => R): R {
  const project = mkdtempSync(join(tmpdir(), 'ts-traced-old-pg-'));
  const dir = join(project, 'node_modules', 'pg');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pg', version: '7.4.0', main: 'index.js' }));
  writeFileSync(join(dir, 'index.js'), 'module.exports = { Client: function Client() {} };\n');
  const cwd = process.cwd();
  process.chdir(project);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
    rmSync(project, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const redisUp = await serviceAvailable('redis');

  // -------------------------------------------------------------------------------------------------------------
  const all = suite('installAllPatches');
  all.after.each(() => {
    uninstallAllPatches();
    setTracer(undefined);
  });

  all('installs every library present, returns what it did, prints nothing', () => {
    const { result, printed } = silently(() => installAllPatches());
    for (const name of MINE) assert.ok(result.installed.includes(name), `~> ${name} installed`);
    assert.equal(wrappers.map((w) => w.installed), [true, true, true, true]);
    for (const { name, reason } of result.skipped) assert.type(reason, 'string', `~> ${name} says why it was skipped`);
    assert.equal(printed, []);
    const now = patched();
    for (const name of MINE) assert.is.not(now[name as keyof typeof now], originals[name as keyof typeof originals], `~> ${name} patched`);
  });

  all('installing all twice changes nothing', () => {
    const first = installAllPatches();
    const functions = patched();
    const second = installAllPatches();
    assert.equal(second, first);
    assert.equal(patched(), functions);
  });

  all('`log` gets one line per library; `clients` passes options and `false` leaves a library alone', () => {
    const lines: string[] = [];
    const result = installAllPatches({ log: (line) => lines.push(line), clients: { pg: false, mysql2: { recordParameters: true } } });
    assert.equal(result.skipped.find((s) => s.name === 'pg'), { name: 'pg', reason: 'disabled in options' });
    assert.is(pg.installed, false);
    assert.is(mysql2.installed, true);
    assert.ok(lines.includes('ts-traced: not tracing pg: disabled in options'));
    assert.ok(lines.includes('ts-traced: tracing mysql2'));
    assert.is(lines.length, result.installed.length + result.skipped.length);
  });

  (redisUp ? all : all.skip)('options reach the wrapper: recordArguments shows in the span', async () => {
    installAllPatches({ clients: { ioredis: { recordArguments: true } } });
    const tracer = installRecordingTracer();
    const client = new Redis({ host: SERVICES.redis.host, port: SERVICES.redis.port });
    await client.echo('passed-through');
    client.disconnect();
    assert.equal(tracer.started.map((s) => s.tags['db.statement']), ['ECHO passed-through']);
  });

  all('an unsupported version is skipped with a message naming the version and the supported majors', () => {
    const result = withOldPg(() => installAllPatches());
    assert.equal(result.skipped.find((s) => s.name === 'pg'), {
      name: 'pg',
      reason: 'ts-traced: pg 7.4.0 is not supported (supported: 8.x); its calls are not traced',
    });
    assert.is(pg.installed, false);
    assert.ok(result.installed.includes('mysql2'), '~> the others are still installed');
  });
  all.run();

  // -------------------------------------------------------------------------------------------------------------
  const chosen = suite('installPatches');
  chosen.after.each(() => uninstallAllPatches());

  chosen('installs only the libraries named', () => {
    const { result, printed } = silently(() => installPatches(['pg', 'ioredis']));
    assert.equal(result, { installed: ['pg', 'ioredis'], skipped: [] });
    assert.equal(wrappers.map((w) => [w.name, w.installed]), [
      ['pg', true],
      ['mysql2', false],
      ['ioredis', true],
      ['redis', false],
    ]);
    assert.equal(printed, []);
  });

  chosen('an unknown name is a TypeError listing the known ones, and nothing is installed', () => {
    assert.throws(
      () => installPatches(['pg', 'postgres' as never]),
      (e: Error) => e instanceof TypeError && /no client wrapper for "postgres"; known: .*pg, mysql2, ioredis, redis/.test(e.message),
    );
    assert.is(pg.installed, false);
  });

  chosen('all or nothing: one unsupported library throws its reason and undoes the others this call installed', () => {
    redis.install(); // installed before the call: left as it was
    assert.throws(
      () => withOldPg(() => installPatches(['ioredis', 'redis', 'pg'])),
      (e: Error) => e instanceof ClientInstallError && e.message === 'ts-traced: pg 7.4.0 is not supported (supported: 8.x); its calls are not traced',
    );
    assert.equal([ioredis.installed, redis.installed, pg.installed], [false, true, false]);
  });
  chosen.run();

  // -------------------------------------------------------------------------------------------------------------
  const undo = suite('uninstallAllPatches');

  undo("restores every library's own functions; a second call changes nothing", () => {
    installAllPatches();
    uninstallAllPatches();
    assert.equal(patched(), originals);
    assert.equal(wrappers.map((w) => w.installed), [false, false, false, false]);
    uninstallAllPatches();
    assert.equal(patched(), originals);
  });
  undo.run();

  // -------------------------------------------------------------------------------------------------------------
  const entry = suite("import 'ts-traced'");

  entry('loads none of the database or cache libraries', () => {
    const root = resolve(__dirname, '../../..');
    const script = [
      "require('./src/index.ts');",
      "const libs = /node_modules[\\\\/](pg|pg-pool|mysql2|ioredis|redis|@redis[\\\\/]client|knex)[\\\\/]/;",
      'console.log(JSON.stringify(Object.keys(require.cache).filter((f) => libs.test(f))));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' });
    assert.equal(JSON.parse(output.trim().split('\n').at(-1) ?? 'null'), []);
  });
  entry.run();
}

void main();
