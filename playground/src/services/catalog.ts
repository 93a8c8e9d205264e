import type { Redis } from 'ioredis';
import { pause } from './inventory.js';

const prices: Record<string, number> = { book: 1299, lamp: 4500, pen: 150 };

/** Streams the catalogue entries for the given SKUs, one at a time (an async generator, traced by the rule). */
export async function* lookUp(skus: readonly string[], cache?: Redis): AsyncGenerator<{ sku: string; cents: number }> {
  for (const sku of skus) {
    const cached = await cache?.get(`playground:price:${sku}`);
    if (cached != null) {
      yield { sku, cents: Number(cached) };
      continue;
    }
    await pause(1);
    const cents = prices[sku] ?? 0;
    await cache?.set(`playground:price:${sku}`, String(cents), 'EX', 60);
    yield { sku, cents };
  }
}
