/**
 * Process-wide runtime state, shared by every copy of the runtime that is loaded (the ESM and CommonJS entries,
 * or two installed versions): one tracer, one AsyncLocalStorage, one fault log. The hot path reads `state.tracer`
 * once per call; everything else is set rarely.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Span, Tracer } from 'opentracing';

export interface RuntimeState {
  /** The tracer spans go to; `undefined` until one is set, so an untraced call costs one check. */
  tracer: Tracer | undefined;
  /** Created with the first tracer (or first `withSpan`): an enabled AsyncLocalStorage slows every `await` on Node 20. */
  storage: AsyncLocalStorage<Span | undefined> | undefined;
  /** `setActiveSpanProvider`: where the active span comes from when no traced function is running. */
  provider: (() => Span | null | undefined) | undefined;
  /** Faults already reported, by kind, with their counts. */
  readonly faults: Map<string, number>;
  /**
   * True while the runtime is inside the tracer's `startSpan` or `finish`: code the tracer runs there (a traced
   * serializer, an instrumented request) gets no span, so a tracer can never recurse into itself through us.
   * (Absent in a state object made by an older copy of the runtime: falsy, as it should start.)
   */
  inTracer?: boolean;
}

const KEY = Symbol.for('ts-traced.runtime.state.v1');
const holder = globalThis as typeof globalThis & { [KEY]?: RuntimeState };

export const state: RuntimeState = (holder[KEY] ??= {
  tracer: undefined,
  storage: undefined,
  provider: undefined,
  faults: new Map(),
  inTracer: false,
});
