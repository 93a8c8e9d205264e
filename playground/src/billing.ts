// Billing: a fastify app that records invoices in PostgreSQL (or in memory when it is absent).
import { startTracing } from './tracing.js';
startTracing('billing');

import Fastify from 'fastify';
import { fastifyTracing } from 'ts-traced/fastify';
import { connectPostgres } from './stores.js';

interface Charge {
  readonly orderId: string;
  readonly cents: number;
}

async function main(): Promise<void> {
  const db = await connectPostgres('billing');
  const memory: Charge[] = [];

  /** @traced */
  async function recordInvoice(charge: Charge): Promise<number> {
    if (!db) return memory.push(charge);
    const { rows } = await db.query<{ id: number }>(
      'INSERT INTO playground_invoices (order_id, cents) VALUES ($1, $2) RETURNING id',
      [charge.orderId, charge.cents],
    );
    return rows[0].id;
  }

  const app = Fastify();
  await app.register(fastifyTracing);
  app.post<{ Body: Charge }>('/charges', async (request) => ({ invoice: await recordInvoice(request.body) }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(`listening ${url}`);
  process.once('SIGTERM', () => void app.close().then(() => db?.end()).then(() => process.exit(0)));
}

void main();
