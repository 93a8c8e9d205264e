export interface Line {
  readonly sku: string;
  readonly quantity: number;
  readonly cents: number;
}

/** @traced */
export function priceOf(lines: readonly Line[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.cents, 0) + shippingFor(lines);
}

function shippingFor(lines: readonly Line[]): number {
  return lines.length > 2 ? 0 : 499;
}
