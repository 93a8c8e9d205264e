import { Redis } from 'ioredis';
import pg from 'pg';
import { suppressTracing } from 'ts-traced';

/**
 * The services' backing stores: PostgreSQL and Redis on 127.0.0.1 (PGHOST/PGPORT, REDIS_HOST/REDIS_PORT override).
 * Where one is absent the service says so once and keeps going without it, so the playground always runs.
 */
export async function connectPostgres(service: string): Promise<pg.Pool | undefined> {
  const pool = new pg.Pool({
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    database: process.env.PGDATABASE ?? 'test',
    user: process.env.PGUSER ?? 'postgres',
    connectionTimeoutMillis: 2000,
  });
  try {
    // Start-up work is not part of any request: keep it out of the traces.
    await suppressTracing(() =>
      pool.query('CREATE TABLE IF NOT EXISTS playground_invoices (id serial PRIMARY KEY, order_id text, cents integer)'),
    );
    return pool;
  } catch (error) {
    console.error(`[${service}] PostgreSQL is not reachable (${(error as Error).message}): invoices stay in memory`);
    await pool.end().catch(() => undefined);
    return undefined;
  }
}

export async function connectRedis(service: string): Promise<Redis | undefined> {
  const redis = new Redis({
    host: process.env.REDIS_HOST ?? '127.0.0.1',
    port: Number(process.env.REDIS_PORT ?? 6379),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await suppressTracing(() => redis.connect());
    return redis;
  } catch (error) {
    console.error(`[${service}] Redis is not reachable (${(error as Error).message}): prices are not cached`);
    redis.disconnect();
    return undefined;
  }
}
