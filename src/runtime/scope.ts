/**
 * The active span, kept in one AsyncLocalStorage per process. The storage is created lazily, with the first
 * tracer or the first `withSpan`: until then nothing enables async context tracking, so untraced async code
 * in the same process keeps its speed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from 'opentracing';
import { reportFault } from './safe';
import { state } from './state';

/** The storage, created on first use. */
export function scopeStorage(): AsyncLocalStorage<Span | undefined> {
  return (state.storage ??= new AsyncLocalStorage<Span | undefined>());
}

/**
 * The span active here: the innermost traced function or `withSpan`, else what the provider set with
 * `setActiveSpanProvider` returns, else `undefined` (also when the provider throws: reported once, as
 * `activeSpanProvider`). (python-instrumentation's `get_current_span`.)
 */
export function activeSpan(): Span | undefined {
  const span = state.storage?.getStore();
  if (span !== undefined) return span;
  const provider = state.provider;
  if (provider === undefined) return undefined;
  try {
    return provider() ?? undefined;
  } catch (error) {
    reportFault('activeSpanProvider', error);
    return undefined;
  }
}

/**
 * Runs `fn` with `span` active, also in every callback, timer, promise and event listener it schedules.
 * (opentracing-python's `span_in_context`.) Returns what `fn` returns; the span is not finished here.
 */
export function withSpan<A extends unknown[], R>(span: Span | undefined, fn: (...args: A) => R, ...args: A): R {
  return scopeStorage().run(span, fn, ...args);
}

/**
 * Where the active span comes from when no traced function or `withSpan` is running, for apps that keep it
 * elsewhere (python-instrumentation's `set_current_span_func`). Pass `undefined` to remove it.
 */
export function setActiveSpanProvider(provider: (() => Span | null | undefined) | undefined): void {
  state.provider = provider;
}
