/**
 * The context API for hand-written spans, next to `activeSpan` / `withSpan` / `setActiveSpanProvider` (scope.ts):
 * `startSpan` (opentracing-python's `start_active_span`, minus the activation), `withChildSpan` (python-
 * instrumentation's `func_span`), baggage on the active span, and `bindSpan` for callbacks that must run in the
 * context they were created in (event listeners, pooled callbacks).
 *
 * With no tracer set, nothing here enables AsyncLocalStorage: `startSpan` hands back OpenTracing's no-op span and
 * `withChildSpan` calls `fn` directly.
 */
import { types } from 'node:util';
import { Tracer as NoopTracer, type Reference, type Span, type SpanContext, type SpanOptions } from 'opentracing';
import { tagError } from './errors';
import { reportFault, startSpanSafely } from './safe';
import { activeSpan, withSpan } from './scope';
import { state } from './state';
import { getTracerOrGlobal } from './tracer';

/** OpenTracing's base tracer: its spans have every method and do nothing. */
const noop = new NoopTracer();

export interface StartSpanOptions {
  /** The parent. Default: the active span. `null` starts a new trace even inside an active span. */
  readonly childOf?: Span | SpanContext | null;
  /** Extra references (e.g. `followsFrom`). When given without `childOf`, the active span is not added. */
  readonly references?: readonly Reference[];
  readonly tags?: Readonly<Record<string, unknown>>;
  /** Start time in milliseconds since the epoch. */
  readonly startTime?: number;
}

/**
 * Starts a span, child of the active span unless `options` say otherwise. It is not made active (wrap the work in
 * `withSpan(span, fn)` for that) and not finished: call `span.finish()`. Never throws: a failing tracer gives a no-op
 * span, reported once.
 */
export function startSpan(name: string, options?: StartSpanOptions): Span {
  const tracer = getTracerOrGlobal();
  const fields: SpanOptions = {};
  if (options?.references !== undefined) fields.references = [...options.references];
  if (options?.tags !== undefined) fields.tags = { ...options.tags };
  if (options?.startTime !== undefined) fields.startTime = options.startTime;
  const parent = options?.childOf === undefined && options?.references === undefined ? activeSpan() : options?.childOf;
  if (parent != null) fields.childOf = parent;
  return startSpanSafely(tracer, name, fields) ?? noop.startSpan(name);
}

function finish(span: Span): void {
  try {
    span.finish();
  } catch (error) {
    reportFault('span.finish', error);
  }
}

/**
 * Runs `fn(span)` with a new child span active, and finishes the span when `fn` is done: on return, on throw, or,
 * when `fn` returns a native promise (an `async` function does), when that promise settles. A throw or rejection
 * tags the span with the error and reaches the caller unchanged.
 *
 * The result is `fn`'s own value, except for a native promise: then it is a promise that settles the same way
 * *after* the span is finished, not the same object. (Following the original with `then` and returning it would
 * mark its rejection handled; the derived promise stays unhandled exactly when the caller leaves it so.) Any other
 * promise-like value is not followed (its `then` may start work): the span ends at return.
 */
export function withChildSpan<R>(name: string, fn: (span: Span) => R, options?: StartSpanOptions): R {
  if (state.tracer === undefined) return fn(noop.startSpan(name));
  const span = startSpan(name, options);
  let result: R;
  try {
    result = withSpan(span, fn, span);
  } catch (error) {
    tagError(span, error);
    finish(span);
    throw error;
  }
  if (!types.isPromise(result)) {
    finish(span);
    return result;
  }
  return (result as Promise<unknown>).then(
    (value) => {
      finish(span);
      return value;
    },
    (error: unknown) => {
      tagError(span, error);
      finish(span);
      throw error;
    },
  ) as R;
}

/** The baggage item `key` of the active span (OpenTracing baggage: set upstream, carried across services). */
export function getBaggage(key: string): string | undefined {
  const span = activeSpan();
  if (span === undefined) return undefined;
  try {
    return span.getBaggageItem(key) ?? undefined;
  } catch (error) {
    reportFault('span.getBaggageItem', error);
    return undefined;
  }
}

/**
 * Sets a baggage item on the active span: the tracer copies it to the span's children and injects it into
 * outgoing requests. Returns `false` when no span is active (nothing to carry it).
 */
export function setBaggage(key: string, value: string): boolean {
  const span = activeSpan();
  if (span === undefined) return false;
  try {
    span.setBaggageItem(key, value);
    return true;
  } catch (error) {
    reportFault('span.setBaggageItem', error);
    return false;
  }
}

/**
 * Returns a function that runs `fn` with `span` active (default: the span active now), wherever it is called
 * from. For event listeners, which otherwise run in the context of whoever calls `emit`, and for callbacks a
 * pool or queue calls later from someone else's context. With no span, `fn` itself is returned.
 */
export function bindSpan<A extends unknown[], R>(
  fn: (...args: A) => R,
  span: Span | undefined = activeSpan(),
): (...args: A) => R {
  if (span === undefined) return fn;
  return function (this: unknown, ...args: A): R {
    return withSpan(span, () => fn.apply(this, args));
  };
}
