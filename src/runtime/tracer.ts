/**
 * Which tracer spans go to: the one given to `setTracer`, else the one given to opentracing's
 * `initGlobalTracer` (noticed when it is called), else none. With none, traced code costs one check per call.
 */
import opentracing = require('opentracing');
import { scopeStorage } from './scope';
import { state } from './state';

/** The tracer in use, or `undefined` when spans are not recorded. */
export function getTracer(): opentracing.Tracer | undefined {
  return state.tracer;
}

/** A tracer to use when none is set: opentracing's global one (the no-op tracer until initialised). */
export function getTracerOrGlobal(): opentracing.Tracer {
  return state.tracer ?? opentracing.globalTracer();
}

function isNoop(tracer: opentracing.Tracer): boolean {
  return Object.getPrototypeOf(tracer) === opentracing.Tracer.prototype;
}

/**
 * Sends spans to `tracer`; `undefined` (or opentracing's no-op tracer) turns recording off again.
 * The first tracer enables the AsyncLocalStorage that carries the active span.
 */
export function setTracer(tracer: opentracing.Tracer | undefined): void {
  if (tracer === undefined || tracer === null || isNoop(tracer)) {
    state.tracer = undefined;
    return;
  }
  if (typeof tracer.startSpan !== 'function') {
    throw new TypeError('ts-traced: setTracer expects an OpenTracing Tracer (an object with startSpan)');
  }
  scopeStorage();
  state.tracer = tracer;
}

const NOTICED = Symbol.for('ts-traced.initGlobalTracer');

/**
 * Notices `opentracing.initGlobalTracer(tracer)`: opentracing keeps the global tracer in a private variable,
 * so the exported function is the only place to learn of it. Done once per loaded copy of opentracing.
 */
function noticeGlobalTracer(): void {
  const target = opentracing as unknown as Record<string | symbol, unknown>;
  const original = target.initGlobalTracer as ((t: opentracing.Tracer) => void) | undefined;
  if (typeof original !== 'function' || (original as unknown as Record<symbol, unknown>)[NOTICED]) return;
  const wrapped = function initGlobalTracer(tracer: opentracing.Tracer): void {
    original(tracer);
    setTracer(tracer);
  };
  (wrapped as unknown as Record<symbol, unknown>)[NOTICED] = true;
  try {
    target.initGlobalTracer = wrapped;
  } catch {
    // A frozen module object: users call setTracer instead, as the README says.
  }
}

noticeGlobalTracer();
