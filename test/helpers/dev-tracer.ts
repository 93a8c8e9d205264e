/**
 * ts-traced's own DevTracer set as the runtime's tracer, for tests that check what a real tracer makes of the
 * spans: W3C ids in the propagated headers, parent ids, start times.
 */
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import type { DevSpan } from '../../src/runtime/dev/span';
import { setTracer } from '../../src/runtime/tracer';

/** A fresh DevTracer, set as the runtime's tracer, and the spans it finishes, in finish order. */
export function installDevTracer(): { tracer: DevTracer; finished: DevSpan[] } {
  const tracer = new DevTracer();
  const finished: DevSpan[] = [];
  tracer.onFinish((span) => finished.push(span));
  setTracer(tracer);
  return { tracer, finished };
}
