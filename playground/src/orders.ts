import { traced } from 'ts-traced';
import { lookUp } from './services/catalog.js';
import { reserve } from './services/inventory.js';
import { priceOf, type Line } from './pricing.js';

export class Orders {
  private placed = 0;

  @traced({ name: 'orders.place', tags: { component: 'orders' }, args: ['orderId'] })
  async place(orderId: string, items: Record<string, number>): Promise<number> {
    const lines: Line[] = [];
    for await (const { sku, cents } of lookUp(Object.keys(items))) {
      lines.push({ sku, quantity: items[sku], cents });
    }
    await Promise.all(lines.map((line) => reserve(line.sku, line.quantity)));
    this.placed++;
    return priceOf(lines);
  }

  get count(): number {
    return this.placed;
  }
}
