/**
 * The context API: hand-written spans, baggage, and what is active in callbacks, timers, emitters and promise
 * chains. Structure is checked on the recording MockTracer; baggage needs a tracer that implements it
 * (jaeger-client: MockTracer's spans drop baggage).
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FORMAT_HTTP_HEADERS, followsFrom, type Span } from 'opentracing';
import { bindSpan, getBaggage, setBaggage, startSpan, withChildSpan } from '../../src/runtime/context';
import { faultCounts, resetFaults } from '../../src/runtime/safe';
import { activeSpan, setActiveSpanProvider, withSpan } from '../../src/runtime/scope';
import { state } from '../../src/runtime/state';
import { setTracer } from '../../src/runtime/tracer';
import { installJaegerTracer } from '../helpers/jaeger';
import { installRecordingTracer, type RecordedSpan } from '../helpers/mock-tracer';

const nameOf = (s: unknown) => (s as RecordedSpan | undefined)?.name;
const tick = () => new Promise<void>((r) => setImmediate(r));

// Runs first, before anything in this process has created the AsyncLocalStorage.
const untraced = suite('no tracer');
untraced('startSpan and withChildSpan work and enable no AsyncLocalStorage', async () => {
  setTracer(undefined);
  const span = startSpan('x');
  span.setTag('a', 1).log({ event: 'e' }).finish();
  const promise = Promise.resolve(7);
  assert.is(withChildSpan('y', () => promise), promise, '~> the very same promise comes back');
  assert.is(withChildSpan('y', (s) => typeof s.setTag), 'function', '~> fn gets a usable span');
  assert.is(state.storage, undefined, '~> no AsyncLocalStorage was created');
  assert.is(getBaggage('k'), undefined);
  assert.is(setBaggage('k', 'v'), false);
});
untraced.run();

const start = suite('startSpan');
start('is a child of the active span and is neither activated nor finished', () => {
  const tracer = installRecordingTracer();
  const parent = tracer.startSpan('parent');
  const child = withSpan(parent, () => startSpan('child', { tags: { k: 'v' } })) as unknown as RecordedSpan;
  assert.is(child.parent, parent as unknown as RecordedSpan);
  assert.is(child.tags.k, 'v');
  assert.is(child.finishCount, 0, '~> the caller finishes it');
  assert.is(activeSpan(), undefined);
});
start('starts a new trace with no active span, or with childOf: null inside one', () => {
  const tracer = installRecordingTracer();
  assert.is((startSpan('root') as unknown as RecordedSpan).parent, undefined);
  const parent = tracer.startSpan('parent');
  const detached = withSpan(parent, () => startSpan('detached', { childOf: null })) as unknown as RecordedSpan;
  assert.is(detached.parent, undefined);
});
start('an explicit childOf wins over the active span; references alone replace it', () => {
  const tracer = installRecordingTracer();
  const active = tracer.startSpan('active');
  const other = tracer.startSpan('other');
  const [explicit, referenced] = withSpan(active, () => [
    startSpan('explicit', { childOf: other }) as unknown as RecordedSpan,
    startSpan('follows', { references: [followsFrom(other.context())] }) as unknown as RecordedSpan,
  ]);
  assert.is(explicit.parent, other as unknown as RecordedSpan);
  assert.is(referenced.parent, undefined, '~> a followsFrom reference is not a childOf parent');
});
start('a throwing tracer gives a usable no-op span and one reported fault', () => {
  resetFaults();
  setTracer({ startSpan() { throw new Error('broken'); } } as never);
  const span = startSpan('x');
  span.setTag('a', 1).finish();
  assert.is(faultCounts()['tracer.startSpan'], 1);
});
start.run();

const child = suite('withChildSpan');
child('sync: runs fn with the span active, returns its value, finishes once, restores the caller', () => {
  const tracer = installRecordingTracer();
  const caller = tracer.startSpan('caller');
  let inside: Span | undefined;
  const value = withSpan(caller, () => withChildSpan('work', (span) => ((inside = activeSpan()), span === inside && 42)));
  assert.is(value, 42);
  const [work] = tracer.byName('work');
  assert.is(inside, work as unknown as Span);
  assert.is(work.parent, caller as unknown as RecordedSpan);
  assert.is(work.finishCount, 1);
  assert.is(activeSpan(), undefined);
});
child('sync: a throw is tagged and reaches the caller unchanged', () => {
  const tracer = installRecordingTracer();
  const error = new TypeError('bad');
  try {
    withChildSpan('work', () => {
      throw error;
    });
    assert.unreachable();
  } catch (e) {
    assert.is(e, error);
  }
  const [work] = tracer.byName('work');
  assert.is(work.tags.error, true);
  assert.is(work.logs[0].message, 'bad');
  assert.is(work.finishCount, 1);
});
child('async: the span stays active across awaits and finishes when the promise settles', async () => {
  const tracer = installRecordingTracer();
  const seen: (string | undefined)[] = [];
  const result = withChildSpan('work', async () => {
    await tick();
    seen.push(nameOf(activeSpan()));
    await new Promise((r) => setTimeout(r, 2));
    seen.push(nameOf(activeSpan()));
    return 'done';
  });
  assert.is(tracer.byName('work')[0].finishCount, 0, '~> not finished before the promise settles');
  assert.is(await result, 'done');
  assert.equal(seen, ['work', 'work']);
  assert.is(tracer.byName('work')[0].finishCount, 1);
});
child('async: a rejection is tagged and the same error rejects the returned promise', async () => {
  const tracer = installRecordingTracer();
  const error = new Error('nope');
  const result = withChildSpan('work', async () => {
    await tick();
    throw error;
  });
  await result.then(
    () => assert.unreachable(),
    (e) => assert.is(e, error),
  );
  const [work] = tracer.byName('work');
  assert.is(work.tags.error, true);
  assert.is(work.finishCount, 1);
});
child('async: a rejection the caller leaves unhandled is still reported as unhandled', async () => {
  installRecordingTracer();
  const reasons: unknown[] = [];
  const onUnhandled = (reason: unknown) => reasons.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const error = new Error('nobody listens');
  void withChildSpan('work', async () => {
    throw error;
  });
  await tick();
  await tick();
  process.off('unhandledRejection', onUnhandled);
  assert.equal(reasons, [error]);
});
child('a non-native thenable is returned as it is, never followed: the span ends at return', () => {
  const tracer = installRecordingTracer();
  let thenCalls = 0;
  const query = { then: () => void thenCalls++ };
  assert.is(withChildSpan('work', () => query), query);
  assert.is(thenCalls, 0);
  assert.is(tracer.byName('work')[0].finishCount, 1);
});
child.run();

const baggage = suite('getBaggage / setBaggage');
baggage('an item set on the active span reaches its children and the next service', () => {
  const jaeger = installJaegerTracer();
  const headers: Record<string, string> = {};
  withChildSpan('request', () => {
    assert.ok(setBaggage('tenant', 'acme'), '~> set on the active span');
    withChildSpan('step', () => {
      assert.is(getBaggage('tenant'), 'acme', '~> the child sees it');
      jaeger.tracer.inject(activeSpan()!.context(), FORMAT_HTTP_HEADERS, headers);
    });
  });
  const remote = jaeger.tracer.extract(FORMAT_HTTP_HEADERS, headers)!;
  withChildSpan('downstream', () => assert.is(getBaggage('tenant'), 'acme', '~> carried across the wire'), {
    childOf: remote,
  });
});
baggage('with no active span nothing is set and nothing is read', () => {
  installJaegerTracer();
  assert.is(setBaggage('k', 'v'), false);
  assert.is(getBaggage('k'), undefined);
});
baggage('a span whose baggage methods throw: no throw reaches the caller, faults are counted', () => {
  resetFaults();
  const tracer = installRecordingTracer();
  const span = tracer.startSpan('s');
  span.setBaggageItem = () => {
    throw new Error('no baggage');
  };
  span.getBaggageItem = () => {
    throw new Error('no baggage');
  };
  withSpan(span, () => {
    assert.is(setBaggage('k', 'v'), false);
    assert.is(getBaggage('k'), undefined);
  });
  assert.is(faultCounts()['span.setBaggageItem'], 1);
  assert.is(faultCounts()['span.getBaggageItem'], 1);
});
baggage.run();

const scope = suite('withSpan');
scope('the span is active in callbacks, ticks, microtasks, immediates and I/O callbacks', async () => {
  const tracer = installRecordingTracer();
  const span = tracer.startSpan('outer');
  const seen: Record<string, string | undefined> = {};
  await withSpan(span, () =>
    new Promise<void>((done) => {
      process.nextTick(() => (seen.nextTick = nameOf(activeSpan())));
      queueMicrotask(() => (seen.microtask = nameOf(activeSpan())));
      setImmediate(() => (seen.immediate = nameOf(activeSpan())));
      readFile(__filename, () => {
        seen.readFile = nameOf(activeSpan());
        done();
      });
    }),
  );
  await tick();
  assert.equal(seen, { nextTick: 'outer', microtask: 'outer', immediate: 'outer', readFile: 'outer' });
});
scope('timers with the same timeout in different contexts each see their own span', async () => {
  const tracer = installRecordingTracer();
  const seen: string[] = [];
  const waits = ['a', 'b', 'c'].map((name) =>
    withSpan(tracer.startSpan(name), () => new Promise<void>((r) => setTimeout(() => (seen.push(`${name}:${nameOf(activeSpan())}`), r()), 3))),
  );
  let ticks = 0;
  await withSpan(tracer.startSpan('interval'), () =>
    new Promise<void>((r) => {
      const id = setInterval(() => {
        seen.push(`interval:${nameOf(activeSpan())}`);
        if (++ticks === 2) (clearInterval(id), r());
      }, 1);
    }),
  );
  await Promise.all(waits);
  assert.equal(seen.sort(), ['a:a', 'b:b', 'c:c', 'interval:interval', 'interval:interval']);
});
scope('promise chains keep the span of the code that called then', async () => {
  const tracer = installRecordingTracer();
  const seen: (string | undefined)[] = [];
  await withSpan(tracer.startSpan('chain'), () =>
    Promise.resolve()
      .then(() => seen.push(nameOf(activeSpan())))
      .then(tick)
      .then(() => seen.push(nameOf(activeSpan())))
      .catch(() => undefined)
      .finally(() => seen.push(nameOf(activeSpan()))),
  );
  assert.equal(seen, ['chain', 'chain', 'chain']);
  assert.is(activeSpan(), undefined, '~> the caller of withSpan is unchanged');
});
scope('nested withSpan restores each level on the way out, also after a throw', async () => {
  const tracer = installRecordingTracer();
  const [a, b, c] = ['a', 'b', 'c'].map((n) => tracer.startSpan(n));
  const trail: (string | undefined)[] = [];
  await withSpan(a, async () => {
    await withSpan(b, async () => {
      try {
        withSpan(c, () => {
          trail.push(nameOf(activeSpan()));
          throw new Error('x');
        });
      } catch {
        trail.push(nameOf(activeSpan()));
      }
      await tick();
      trail.push(nameOf(activeSpan()));
    });
    trail.push(nameOf(activeSpan()));
  });
  trail.push(nameOf(activeSpan()));
  assert.equal(trail, ['c', 'b', 'b', 'a', undefined]);
});
scope('EventEmitter: a listener runs in the context of the code that calls emit', () => {
  const tracer = installRecordingTracer();
  const emitter = new EventEmitter();
  const seen: (string | undefined)[] = [];
  withSpan(tracer.startSpan('A'), () => emitter.on('event', () => seen.push(nameOf(activeSpan()))));
  withSpan(tracer.startSpan('B'), () => emitter.emit('event'));
  emitter.emit('event');
  assert.equal(seen, ['B', undefined], '~> the emitter of B sees B; an emit outside any span sees none, never A');
});
scope('setActiveSpanProvider answers when no span is active, and withSpan wins over it', () => {
  const tracer = installRecordingTracer();
  const kept = tracer.startSpan('kept-elsewhere');
  setActiveSpanProvider(() => kept);
  try {
    assert.is(activeSpan(), kept);
    const span = tracer.startSpan('scoped');
    assert.is(withSpan(span, activeSpan), span);
    assert.is((startSpan('child') as unknown as RecordedSpan).parent, kept as unknown as RecordedSpan);
  } finally {
    setActiveSpanProvider(undefined);
  }
});
scope.run();

const bind = suite('bindSpan');
bind('a bound listener runs in the context it was bound in, whoever emits', () => {
  const tracer = installRecordingTracer();
  const emitter = new EventEmitter();
  const seen: (string | undefined)[] = [];
  withSpan(tracer.startSpan('A'), () => emitter.on('event', bindSpan(() => seen.push(nameOf(activeSpan())))));
  withSpan(tracer.startSpan('B'), () => emitter.emit('event'));
  emitter.emit('event');
  assert.equal(seen, ['A', 'A']);
});
bind('keeps this, arguments and the return value; with no span it returns fn itself', () => {
  const tracer = installRecordingTracer();
  function add(this: { base: number }, x: number) {
    return this.base + x + (activeSpan() ? 100 : 0);
  }
  const bound = bindSpan(add, tracer.startSpan('s'));
  assert.is(bound.call({ base: 1 }, 2), 103);
  assert.is(bindSpan(add), add, '~> nothing active: no wrapper');
});
bind.run();
