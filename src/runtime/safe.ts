/**
 * Instrumentation must never hurt the host: every call into a tracer or a user hook goes through here.
 * A fault is counted and reported once per kind (a process warning naming the kind); later ones are only counted.
 */
import type { Span, SpanOptions, Tracer } from 'opentracing';
import { state } from './state';

export const FAULT_WARNING_CODE = 'TS_TRACED_FAULT';

/** Records a fault of `kind` (e.g. `tracer.startSpan`, `hook.onStart`); warns the first time only. */
export function reportFault(kind: string, error: unknown): void {
  const seen = state.faults.get(kind) ?? 0;
  state.faults.set(kind, seen + 1);
  if (seen > 0) return;
  let detail: string;
  try {
    detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    detail = 'an unprintable value';
  }
  try {
    process.emitWarning(
      `ts-traced: ${kind} threw (${detail}); the traced code is unaffected. Later faults of this kind are counted, not reported.`,
      { code: FAULT_WARNING_CODE },
    );
  } catch {
    // A warning listener that throws must not reach the host either.
  }
}

/** How many faults of each kind were seen since start (or since `resetFaults`). */
export function faultCounts(): Record<string, number> {
  return Object.fromEntries(state.faults);
}

export function resetFaults(): void {
  state.faults.clear();
}

/** Runs `fn(arg)`; a throw is reported as `kind` and `fallback` returned. */
export function safeCall<A, R>(kind: string, fn: (arg: A) => R, arg: A, fallback: R): R {
  try {
    return fn(arg);
  } catch (error) {
    reportFault(kind, error);
    return fallback;
  }
}

/**
 * `tracer.startSpan`, guarded: a throw, or something that is not a span (no `finish`), is reported once as a
 * fault and gives `undefined`, so callers run the user's code untraced. Called from inside the tracer itself
 * (its `startSpan` or `finish` running traced code), it gives `undefined` at once: no recursion through us.
 */
export function startSpanSafely(tracer: Tracer, name: string, options: SpanOptions): Span | undefined {
  if (state.inTracer) return undefined;
  state.inTracer = true;
  try {
    const span = tracer.startSpan(name, options);
    if (typeof span === 'object' && span !== null && typeof span.finish === 'function') return span;
    reportFault('tracer.startSpan', new TypeError(`startSpan returned ${span === null ? 'null' : typeof span}, not a span`));
  } catch (error) {
    reportFault('tracer.startSpan', error);
  } finally {
    state.inTracer = false;
  }
  return undefined;
}

/** `span.finish(time)`, guarded, with the tracer marked busy (see `startSpanSafely`). */
export function finishSafely(span: Span, time?: number): void {
  const was = state.inTracer;
  state.inTracer = true;
  try {
    span.finish(time);
  } catch (error) {
    reportFault('span.finish', error);
  } finally {
    state.inTracer = was;
  }
}
