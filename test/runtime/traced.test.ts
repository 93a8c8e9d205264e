/**
 * The runtime `traced` decorator, used when code is compiled without the plugin. Both decorator protocols are
 * driven by hand, exactly as TypeScript's emit calls them.
 */
import 'reflect-metadata';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { traced, untraced } from '../../src/runtime/traced';
import { activeSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer } from '../helpers/mock-tracer';

class Orders {
  total(a: number, b: number): number {
    return a + b;
  }
  async later(x: number): Promise<number> {
    await null;
    return x;
  }
  *pages(): Generator<number> {
    yield 1;
    yield 2;
  }
  fail(): never {
    throw new RangeError('no');
  }
}

function legacy(key: keyof Orders, options = {}) {
  const descriptor = Object.getOwnPropertyDescriptor(Orders.prototype, key)!;
  return (traced(options) as any)(Orders.prototype, key, descriptor).value as (...a: any[]) => any;
}

const experimental = suite('traced (experimentalDecorators)');
experimental('names the span Class.method and keeps name, length and result', () => {
  const tracer = installRecordingTracer();
  const total = legacy('total');
  assert.is(total.name, 'total');
  assert.is(total.length, 2);
  assert.is(total.call(new Orders(), 2, 3), 5);
  assert.equal(tracer.finished().map((s) => s.name), ['Orders.total']);
});
experimental('an async method keeps its span active across awaits and ends when it settles', async () => {
  const tracer = installRecordingTracer();
  const later = legacy('later', { name: 'orders.later', tags: { component: 'orders' } });
  assert.is(await later.call(new Orders(), 7), 7);
  const [span] = tracer.finished();
  assert.is(span.name, 'orders.later');
  assert.is(span.tags.component, 'orders');
  assert.is(activeSpan(), undefined);
});
experimental('a generator method yields the same values, one span', () => {
  const tracer = installRecordingTracer();
  const pages = legacy('pages');
  assert.equal([...pages.call(new Orders())], [1, 2]);
  assert.is(tracer.finished()[0].finishCount, 1);
});
experimental('a throw reaches the caller as is and tags the span', () => {
  const tracer = installRecordingTracer();
  const fail = legacy('fail');
  assert.throws(() => fail.call(new Orders()), (e: Error) => e instanceof RangeError);
  assert.is(tracer.finished()[0].tags.error, true);
});
experimental("keeps metadata other decorators stored on the method (Nest's route)", () => {
  const method = function handler() {};
  Reflect.defineMetadata('path', '/orders/:id', method);
  const wrapped = (traced() as any)(Orders.prototype, 'handler', { value: method }).value;
  assert.is(Reflect.getMetadata('path', wrapped), '/orders/:id');
});
experimental.run();

const standard = suite('traced (standard decorators)');
standard('wraps the method; the class name comes from the first call', () => {
  const tracer = installRecordingTracer();
  const initializers: ((this: unknown) => void)[] = [];
  const context = { kind: 'method', name: 'total', addInitializer: (f: (this: unknown) => void) => initializers.push(f) };
  const total = (traced as any)(Orders.prototype.total, context);
  const instance = new Orders();
  for (const init of initializers) init.call(instance);
  assert.is(total.call(instance, 1, 1), 2);
  assert.equal(tracer.finished().map((s) => s.name), ['Orders.total']);
});
standard('traced()(fn) wraps a plain function; no tracer means no span and the same result', () => {
  setTracer(undefined);
  const double = traced()(function double(x: number) {
    return x * 2;
  });
  assert.is(double(4), 8);
  assert.is(double.name, 'double');
});
standard('untraced changes nothing at run time', () => {
  const descriptor = { value: () => 1 };
  assert.is(untraced(Orders.prototype, 'x', descriptor), descriptor);
});
standard.run();
