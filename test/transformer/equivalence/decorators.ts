/**
 * `@traced` with experimentalDecorators. Without the plugin the decorator wraps each method at run time; with it,
 * the decorator is gone and the body is instrumented in place: both must behave as the undecorated method.
 */
import { traced } from 'ts-traced';

export class Account {
  balance = 0;

  @traced({ tags: { component: 'accounts' }, args: ['amount'] })
  deposit(amount: number): number {
    if (amount <= 0) throw new RangeError(`invalid amount ${amount}`);
    this.balance += amount;
    return this.balance;
  }

  @traced
  async withdraw(amount: number): Promise<number> {
    await null;
    if (amount > this.balance) throw new Error('insufficient funds');
    this.balance -= amount;
    return this.balance;
  }

  @traced({ onStart: (span: { setTag(k: string, v: unknown): void }, n: number) => span.setTag('count', n) })
  *history(n: number): Generator<number> {
    for (let i = 0; i < n; i++) yield i;
  }

  @traced
  static open(): Account {
    return new Account();
  }
}
