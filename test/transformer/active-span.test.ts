/**
 * The active span is right at every point of an instrumented async function and generator: before and after
 * each await/yield, in catch/finally after a rejection, in the caller after the first suspension (the caller's
 * span, not the callee's), and in promises and timers created inside the body. Compiled by the real plugin.
 */
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { activeSpan, withSpan } from '../../src/runtime/scope';
import { build, loadFresh } from '../helpers/exec';
import { installRecordingTracer, type RecordingTracer } from '../helpers/mock-tracer';

type Subject = typeof import('./active-span/subject');
const dir = build('active-span', [{ fileName: join(__dirname, 'active-span', 'subject.ts'), pluginOptions: {} }]);
const current = () => (activeSpan() as { name?: string } | undefined)?.name;

function fresh(): { subject: Subject; tracer: RecordingTracer } {
  const tracer = installRecordingTracer();
  return { subject: loadFresh<Subject>(dir, 'subject'), tracer };
}

const asyncSuite = suite('async function');
asyncSuite('the span is active before and after each await, in timers and promises made inside', async () => {
  const { subject, tracer } = fresh();
  const caller = tracer.startSpan('caller');
  let callerAfterCall: string | undefined;
  let callerAfterAwait: string | undefined;
  await withSpan(caller as never, async () => {
    const pending = subject.work(false);
    callerAfterCall = current();
    assert.is(await pending, 'done');
    callerAfterAwait = current();
  });
  assert.equal(subject.seen, {
    start: 'work',
    timer: 'work',
    promise: 'work',
    afterAwait: 'work',
    afterLastAwait: 'work',
    inFinally: 'work',
  });
  assert.is(callerAfterCall, 'caller', '~> the caller sees its own span after the callee suspends');
  assert.is(callerAfterAwait, 'caller', '~> and after awaiting it');
  assert.is(tracer.byName('work')[0].parent, caller as never);
});
asyncSuite('catch and finally after a rejection see the span; the caller gets the same error', async () => {
  const { subject, tracer } = fresh();
  const error = await subject.work(true).catch((e: Error) => e);
  assert.instance(error, Error);
  assert.is((error as Error).message, 'boom');
  assert.is(subject.seen.inCatch, 'work');
  assert.is(subject.seen.inFinally, 'work');
  const [span] = tracer.byName('work');
  assert.is(span.tags.error, true);
  assert.is(span.finishCount, 1);
  assert.is(current(), undefined);
});
asyncSuite.run();

const generatorSuite = suite('generators');
generatorSuite('each resumption runs under the span; the resumer gets its own context back', () => {
  const { subject, tracer } = fresh();
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const it = subject.steps();
  withSpan(a as never, () => {
    it.next();
    assert.is(current(), 'a', '~> a after the first yield');
  });
  withSpan(b as never, () => {
    it.next();
    assert.is(current(), 'b', '~> b after the second yield');
    it.return();
    assert.is(current(), 'b', '~> b after return()');
  });
  assert.is(subject.seen.beforeYield, 'steps');
  assert.is(subject.seen.afterYield, 'steps');
  assert.is(subject.seen.generatorFinally, 'steps', '~> finally entered by return() sees the span');
  assert.is(tracer.byName('steps')[0].finishCount, 1);
});
generatorSuite('for await inside an async generator keeps the span in the loop body and after it', async () => {
  const { subject, tracer } = fresh();
  const outer = tracer.startSpan('outer');
  const values = await withSpan(outer as never, async () => {
    const out: number[] = [];
    for await (const page of subject.pages()) {
      assert.is(current(), 'outer', '~> the consumer keeps its span');
      out.push(page);
    }
    return out;
  });
  assert.equal(values, [1, 2]);
  assert.is(subject.seen.page1, 'pages');
  assert.is(subject.seen.page2, 'pages');
  assert.is(subject.seen.afterForAwait, 'pages');
  assert.is(tracer.byName('pages')[0].parent, outer as never);
});
generatorSuite.run();
