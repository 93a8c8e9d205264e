import type { Redis } from 'ioredis';
import { traced } from 'ts-traced';
import { lookUp } from './services/catalog.js';
import { reserve } from './services/inventory.js';
import { priceOf, type Line } from './pricing.js';

export class Orders {
  constructor(
    private readonly billingUrl: string,
    private readonly cache?: Redis,
  ) {}

  @traced({ name: 'orders.place', tags: { component: 'orders' }, args: ['orderId'] })
  async place(orderId: string, items: Record<string, number>): Promise<{ orderId: string; cents: number; invoice: number }> {
    const lines: Line[] = [];
    for await (const { sku, cents } of lookUp(Object.keys(items), this.cache)) {
      lines.push({ sku, quantity: items[sku], cents });
    }
    await Promise.all(lines.map((line) => reserve(line.sku, line.quantity)));
    const cents = priceOf(lines);
    const invoice = await this.charge(orderId, cents);
    return { orderId, cents, invoice };
  }

  /** @traced */
  private async charge(orderId: string, cents: number): Promise<number> {
    const response = await fetch(`${this.billingUrl}/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId, cents }),
    });
    if (!response.ok) throw new Error(`billing answered ${response.status}`);
    return ((await response.json()) as { invoice: number }).invoice;
  }
}
