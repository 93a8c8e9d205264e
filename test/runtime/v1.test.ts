/**
 * The contract helpers, driven by hand-written code of the exact shape the transformer emits, so the runtime
 * is proven apart from the compiler. The transformer's own tests prove it emits this shape.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SiteKind, type SiteRecord } from '../../src/contract';
import { v1 } from '../../src/runtime/v1';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { setTracer } from '../../src/runtime/tracer';
import { installRecordingTracer, type RecordedSpan } from '../helpers/mock-tracer';

const record = (name: string, kind: SiteKind, extra: Partial<SiteRecord> = {}): SiteRecord => ({
  name,
  kind,
  fn: name,
  file: 'test.ts',
  line: 1,
  ...extra,
});
const nameOf = (s: unknown) => (s as RecordedSpan | undefined)?.name;
const tick = () => new Promise<void>((r) => setImmediate(r));

const $inner = v1.site(record('inner', SiteKind.sync));
function inner(x: number) {
  const $s = v1.enter($inner);
  try {
    return v1.ret($s, x * 2);
  } catch ($e) {
    v1.fail($s, $e);
    throw $e;
  } finally {
    v1.exit($s);
  }
}
const $outer = v1.site(record('outer', SiteKind.sync));
function outer(x: number) {
  const $s = v1.enter($outer);
  try {
    if (x < 0) throw new RangeError('negative');
    return v1.ret($s, inner(x) + 1);
  } catch ($e) {
    v1.fail($s, $e);
    throw $e;
  } finally {
    v1.exit($s);
  }
}

const sync = suite('v1 sync');
sync('no tracer: enter returns undefined and the body runs', () => {
  setTracer(undefined);
  assert.is(v1.enter($outer), undefined);
  assert.is(outer(2), 5);
});
sync('nests the inner call under the outer span and restores the caller context', () => {
  const tracer = installRecordingTracer();
  assert.is(outer(2), 5);
  assert.equal(tracer.finished().map((s) => s.path), ['outer', 'outer > inner']);
  assert.is(activeSpan(), undefined, '~> context restored after the call');
});
sync('tags a thrown error and finishes once', () => {
  const tracer = installRecordingTracer();
  assert.throws(() => outer(-1), (e: Error) => e instanceof RangeError && e.message === 'negative');
  const [span] = tracer.finished();
  assert.is(span.tags.error, true);
  assert.is(span.logs[0].event, 'error');
  assert.is(span.logs[0].message, 'negative');
  assert.is(span.finishCount, 1);
});
sync('code location tags come from the site record', () => {
  const tracer = installRecordingTracer();
  inner(1);
  const tags = tracer.finished()[0].tags;
  assert.is(tags['code.function'], 'inner');
  assert.is(tags['code.filepath'], 'test.ts');
  assert.is(tags['code.lineno'], 1);
});
sync('a static record (SiteSource) is made at the first recording call, once', () => {
  let made = 0;
  function $lazy() {
    made++;
    return v1.site(record('lazy', SiteKind.sync, { tags: { component: 'lazy' } }));
  }
  setTracer(undefined);
  v1.exit(v1.enter($lazy));
  assert.is(made, 0, '~> no tracer: the record is not made');
  const tracer = installRecordingTracer();
  for (let i = 0; i < 3; i++) v1.exit(v1.enter($lazy));
  assert.is(made, 1, '~> made once, then kept');
  assert.equal(tracer.finished().map((s) => [s.name, s.tags.component, s.tags['code.function']]), Array(3).fill(['lazy', 'lazy', 'lazy']));
});
sync('a record with run-time options not made yet (undefined): the call runs untraced', () => {
  const tracer = installRecordingTracer();
  assert.is(v1.enter(undefined), undefined);
  assert.equal(tracer.finished(), []);
});
sync('a tracer whose startSpan throws leaves the function untouched', () => {
  setTracer({ startSpan() { throw new Error('broken tracer'); } } as any);
  assert.is(outer(2), 5);
});
sync.run();

const seen: Record<string, string | undefined> = {};
const $work = v1.site(record('work', SiteKind.async));
async function work(fail: boolean) {
  const $s = v1.enter($work);
  try {
    seen.start = nameOf(activeSpan());
    const timer = new Promise<void>((r) => setTimeout(() => { seen.timer = nameOf(activeSpan()); r(); }, 1));
    v1.back($s, await v1.leave($s, tick()));
    seen.afterAwait = nameOf(activeSpan());
    v1.back($s, await v1.leave($s, timer));
    try {
      v1.back($s, await v1.leave($s, fail ? Promise.reject(new Error('boom')) : 1));
    } catch (e) {
      v1.back($s);
      seen.inCatch = nameOf(activeSpan());
      throw e;
    } finally {
      v1.back($s);
      seen.inFinally = nameOf(activeSpan());
    }
    return v1.ret($s, 'done');
  } catch ($e) {
    v1.fail($s, $e);
    throw $e;
  } finally {
    v1.exit($s);
  }
}

const async_ = suite('v1 async');
async_('the span is active at every point of the body, the caller keeps its own context', async () => {
  const tracer = installRecordingTracer();
  const caller = tracer.startSpan('caller');
  await withSpan(caller as any, async () => {
    const p = work(false);
    seen.callerAfterCall = nameOf(activeSpan());
    assert.is(await p, 'done');
    seen.callerAfterAwait = nameOf(activeSpan());
  });
  assert.equal(seen, {
    start: 'work',
    timer: 'work',
    afterAwait: 'work',
    inFinally: 'work',
    callerAfterCall: 'caller',
    callerAfterAwait: 'caller',
  });
  assert.is(tracer.byName('work')[0].parent, caller as any);
});
async_('catch and finally after a rejection see the span; the error is tagged once', async () => {
  const tracer = installRecordingTracer();
  for (const k of Object.keys(seen)) delete seen[k];
  await work(true).then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, 'boom'),
  );
  assert.is(seen.inCatch, 'work');
  assert.is(seen.inFinally, 'work');
  const [span] = tracer.byName('work');
  assert.is(span.finishCount, 1);
  assert.is(span.tags.error, true);
  assert.is(activeSpan(), undefined);
});
async_('settles on the same microtask tick as the plain function', async () => {
  installRecordingTracer();
  const $f = v1.site(record('f', SiteKind.async));
  async function traced() {
    const $s = v1.enter($f);
    try {
      v1.back($s, await v1.leave($s, null));
      return v1.ret($s, 1);
    } catch ($e) {
      v1.fail($s, $e);
      throw $e;
    } finally {
      v1.exit($s);
    }
  }
  async function plain() {
    await null;
    return 1;
  }
  const order: string[] = [];
  const count = (label: string) => {
    let n = 0;
    const spin = (): unknown => (n++ < 10 ? Promise.resolve().then(spin) : undefined);
    void spin();
    return () => order.push(`${label}@${n}`);
  };
  const a = count('plain');
  await plain().then(a);
  const b = count('traced');
  await traced().then(b);
  assert.equal(order.map((o) => o.split('@')[1]), [order[0].split('@')[1], order[0].split('@')[1]]);
});
async_.run();

const $gen = v1.site(record('gen', SiteKind.generator));
function* gen(): Generator<number, void, unknown> {
  const $s = v1.enter($gen);
  try {
    seen.g1 = nameOf(activeSpan());
    v1.back($s, yield v1.leave($s, 1));
    seen.g2 = nameOf(activeSpan());
    v1.back($s, yield v1.leave($s, 2));
  } catch ($e) {
    v1.fail($s, $e);
    throw $e;
  } finally {
    v1.exit($s);
  }
}

const generators = suite('v1 generators');
generators('a generator resumed from another context hands that context back', () => {
  const tracer = installRecordingTracer();
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const it = gen();
  withSpan(a as any, () => {
    it.next();
    assert.is(nameOf(activeSpan()), 'a', '~> a after first yield');
  });
  withSpan(b as any, () => {
    it.next();
    assert.is(nameOf(activeSpan()), 'b', '~> b after second yield');
    it.return(undefined);
    assert.is(nameOf(activeSpan()), 'b', '~> b after return()');
  });
  assert.is(seen.g1, 'gen');
  assert.is(seen.g2, 'gen');
  const [span] = tracer.byName('gen');
  assert.is(span.parent, a as any, '~> parent is the first caller');
  assert.is(span.finishCount, 1);
});
generators('yield* through iter re-enters on each resumption', () => {
  const tracer = installRecordingTracer();
  const $d = v1.site(record('delegating', SiteKind.generator));
  const inside: (string | undefined)[] = [];
  function* source() {
    inside.push(nameOf(activeSpan()));
    yield 'x';
    inside.push(nameOf(activeSpan()));
    yield 'y';
    return 'r';
  }
  function* delegating() {
    const $s = v1.enter($d);
    try {
      const r = v1.back($s, yield* v1.iter($s, source()));
      inside.push(`after:${nameOf(activeSpan())}`);
      return r;
    } catch ($e) {
      v1.fail($s, $e);
      throw $e;
    } finally {
      v1.exit($s);
    }
  }
  const c = tracer.startSpan('c');
  const values = withSpan(c as any, () => {
    const out: unknown[] = [];
    const it = delegating();
    for (let r = it.next(); ; r = it.next()) {
      assert.is(nameOf(activeSpan()), 'c');
      out.push(r.value);
      if (r.done) break;
    }
    return out;
  });
  assert.equal(values, ['x', 'y', 'r']);
  assert.equal(inside, ['delegating', 'delegating', 'after:delegating']);
});
generators.run();
