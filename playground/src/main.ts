import { setTracer } from 'ts-traced';
import { createConsoleTracer } from 'ts-traced/dev';
import { Orders } from './orders.js';

async function main(): Promise<void> {
  setTracer(createConsoleTracer());
  const orders = new Orders();

  const total = await orders.place('A-1001', { book: 2, pen: 4 });
  console.log(`order A-1001 placed: ${total} cents`);

  try {
    await orders.place('A-1002', { book: 1, lamp: 1 });
  } catch (error) {
    console.log(`order A-1002 failed: ${(error as Error).message}`);
  }
}

void main();
