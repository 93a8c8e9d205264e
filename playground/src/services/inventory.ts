// Selected by the rule in traced.config.json: every function of src/services/** except get* and toJSON.
const stock = new Map([
  ['book', 3],
  ['lamp', 0],
  ['pen', 25],
]);

export async function reserve(sku: string, quantity: number): Promise<void> {
  await pause(2);
  const left = getStock(sku);
  if (left < quantity) throw new Error(`${sku} is out of stock`);
  stock.set(sku, left - quantity);
}

export function getStock(sku: string): number {
  return stock.get(sku) ?? 0;
}

export async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
