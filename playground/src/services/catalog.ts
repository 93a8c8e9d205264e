import { pause } from './inventory.js';

const prices: Record<string, number> = { book: 1299, lamp: 4500, pen: 150 };

/** Streams the catalogue entries for the given SKUs, one at a time (an async generator, traced by the rule). */
export async function* lookUp(skus: readonly string[]): AsyncGenerator<{ sku: string; cents: number }> {
  for (const sku of skus) {
    await pause(1);
    yield { sku, cents: prices[sku] ?? 0 };
  }
}
