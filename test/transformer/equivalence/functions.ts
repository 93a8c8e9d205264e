/**
 * Sync functions, methods and accessors, selected with JSDoc markers. equivalence.test.ts runs the same calls
 * on this module compiled with and without the plugin.
 */

/** @traced */
export function add(a: number, b = 10): number {
  return a + b;
}

/** Throws what it is given: the thrown value must come out as the very same value. @traced */
export function thrower(value: unknown): never {
  throw value;
}

/** @traced */
export function nested(depth: number): string {
  if (depth === 0) throw new RangeError('bottom');
  try {
    return `${depth}:${nested(depth - 1)}`;
  } catch (e) {
    if (depth === 2) return `caught at 2: ${(e as Error).message}`;
    throw e;
  }
}

/** @traced */
export function outer(): string {
  return `outer(${inner()}, ${inner()})`;
}

/** @traced */
export function inner(): string {
  return 'inner';
}

/** @traced */
export function withDefaults(a = order('a'), { b = order('b') }: { b?: string } = {}, ...rest: string[]): string {
  return `${a} ${b} ${rest.join('')} (${calls.join()})`;
}

const calls: string[] = [];
function order(label: string): string {
  calls.push(label);
  return label;
}

/** Reads a `let` before its declaration through a closure: a ReferenceError, traced or not. @traced */
export function tdz(): number {
  const read = () => late;
  const value = read();
  const late = 1;
  return value;
}

/** @traced */
export function args(this: unknown, ...values: unknown[]): string {
  return `this=${typeof this} arguments=${arguments.length} rest=${values.length} callee-free`;
}

/** @traced */
export function Constructed(this: { made?: string }, label: string): unknown {
  if (!new.target) return `called ${label}`;
  this.made = `${label} by ${new.target === Constructed ? 'Constructed' : 'other'}`;
  return undefined;
}

export class Base {
  constructor(protected readonly label: string) {}

  describe(): string {
    return `base ${this.label}`;
  }

  static create(label: string): Base {
    return new this(label);
  }
}

export class Derived extends Base {
  static count = 0;
  #secret = 41;

  /** @traced */
  override describe(): string {
    const viaArrow = () => super.describe();
    return `derived(${super.describe()}, ${viaArrow()}, ${this.#reveal()})`;
  }

  /** @traced */
  #reveal(): number {
    return ++this.#secret;
  }

  /** @traced */
  static override create(label: string): Derived {
    Derived.count++;
    return super.create(label) as Derived;
  }

  /** @traced */
  get secret(): number {
    return this.#secret;
  }

  /** @traced */
  set secret(value: number) {
    if (value < 0) throw new RangeError('negative secret');
    this.#secret = value;
  }

  /** @traced */
  handler = (suffix: string): string => `${this.label}${suffix}`;
}

export const object = {
  label: 'object',
  /** @traced */
  method(): string {
    return this.label;
  },
  /** @traced */
  arrow: (): string => typeof this,
};

/** @traced */
export function callback(done: (error: Error | null, value?: number) => void, fail: boolean): void {
  if (fail) {
    done(new Error('callback failure'));
    return;
  }
  done(null, 1);
  done(null, 2);
}

/** How deep the last `depth` / `plainDepth` call went. */
export const reached = { traced: 0, plain: 0 };

/** Recurses until the stack overflows. @traced */
export function depth(n: number): number {
  reached.traced = n;
  return depth(n + 1);
}

export function plainDepth(n: number): number {
  reached.plain = n;
  return plainDepth(n + 1);
}
