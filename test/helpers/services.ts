/**
 * The real services client tests talk to. Each is on 127.0.0.1 at its default port unless overridden by
 * environment. A missing service skips the tests that need it with a visible notice, and fails under CI=true.
 */
import { connect } from 'node:net';

export const SERVICES = {
  postgres: { label: 'PostgreSQL', host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432) },
  mariadb: { label: 'MariaDB', host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306) },
  redis: { label: 'Redis', host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) },
  rabbitmq: { label: 'RabbitMQ', host: process.env.AMQP_HOST ?? '127.0.0.1', port: Number(process.env.AMQP_PORT ?? 5672) },
} as const;
export type ServiceName = keyof typeof SERVICES;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * Resolves true when the service answers. When it does not: throws under CI=true (the file fails), else prints
 * `SKIP ...` and resolves false, so the caller registers its tests with `test.skip`.
 */
export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  const { label, host, port } = SERVICES[name];
  if (await reachable(host, port)) return true;
  const message = `${label} is not reachable at ${host}:${port}`;
  if (process.env.CI === 'true') throw new Error(`${message} (required under CI=true)`);
  console.log(`SKIP ${message}: its tests are skipped`);
  return false;
}
