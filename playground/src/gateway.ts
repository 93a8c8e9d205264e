// The gateway: an express app that places orders, pricing them from a Redis cache and charging through billing.
import { startTracing } from './tracing.js';
startTracing('gateway');

import express from 'express';
import { tracingErrorHandler, tracingMiddleware } from 'ts-traced/express';
import { Orders } from './orders.js';
import { connectRedis } from './stores.js';

async function main(): Promise<void> {
  const billingUrl = process.env.BILLING_URL;
  if (!billingUrl) throw new Error('BILLING_URL is not set');
  const orders = new Orders(billingUrl, await connectRedis('gateway'));

  const app = express();
  app.use(tracingMiddleware({ excludedPaths: ['/health'] }));
  app.use(express.json());
  app.get('/health', (_req, res) => void res.send('ok'));
  app.post('/orders/:id', async (req, res) => {
    try {
      res.json(await orders.place(req.params.id, req.body as Record<string, number>));
    } catch (error) {
      res.status(409).json({ error: (error as Error).message });
    }
  });
  app.use(tracingErrorHandler());
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`listening http://127.0.0.1:${port}`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

void main();
