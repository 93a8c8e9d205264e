/**
 * One context for both worlds. OpenTelemetry keeps the active `Context` in its ContextManager; ts-traced keeps
 * the active OpenTracing span in its own AsyncLocalStorage (scope.ts), which instrumented code switches with
 * `enterWith` on every call. Two storages cannot agree on which is newer, so there is only one: the OTel
 * ContextManager registered here reads and writes ts-traced's storage.
 *
 * - What the storage holds stays an OpenTracing span (a `SpanShim`), so `enter`/`exit` of instrumented code are
 *   untouched and pay nothing extra for the bridge.
 * - `active()` (OTel asking): the stored shim's OTel context. A span started by the shim tracer remembers the
 *   context it was started in (`BASE`, one property write per span); its context, `BASE` plus the span plus its
 *   baggage, is built the first time OTel asks (usually when the span gets its first child) and cached on it.
 * - `with(ctx, fn)` (OTel `startActiveSpan`, `context.with`): runs `fn` with a holder shim stored: a SpanShim
 *   around `ctx`'s span, carrying `ctx` itself, so a traced function called inside is its child and OTel code
 *   further in gets `ctx` back unchanged. A context without a span is held by a shim around a non-recording
 *   span with an invalid context: children of it start new traces, and `activeSpan()` returns it (it is not
 *   `undefined`) only inside such a context. `ROOT_CONTEXT` is stored as `undefined`.
 *
 * Every key of an OTel context survives this round trip, OTel's "suppress tracing" among them: exporters send
 * inside it, so a client span the runtime starts for an export request is non-recording, not a span to export.
 *
 * Baggage is one thing on both sides: OpenTracing baggage (`setBaggageItem`) is the shim's OTel `Baggage`, put
 * into the context OTel sees, and OTel baggage in a `with` context becomes the holder's baggage, which the shim
 * copies to children.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  trace,
  type Baggage,
  type Context,
  type Span as OtelSpan,
  type SpanContext as OtelSpanContext,
} from '@opentelemetry/api';
import { TracerShim } from '@opentelemetry/shim-opentracing';
import type { Span, SpanContext } from 'opentracing';
import { scopeStorage } from '../scope';
import { state } from '../state';

/** The shim's span and span context, as far as the bridge uses them. */
export interface ShimSpan extends Span {
  context(): ShimSpanContext;
  getSpan(): OtelSpan;
}
export interface ShimSpanContext extends SpanContext {
  getSpanContext(): OtelSpanContext;
  getBaggage(): Baggage;
}

/**
 * The shim package exports only TracerShim. Its span class is taken from a span started on a tracer that
 * records nothing (a provider with no SDK behind it), so `instanceof` and `new` use the very class it returns.
 */
export const SpanShim = new TracerShim(new ProxyTracerProvider().getTracer('ts-traced')).startSpan('probe')
  .constructor as new (tracer: TracerShim, span: OtelSpan, baggage: Baggage) => ShimSpan;

/** The context a span was started in (holders: the context they hold). */
const BASE = Symbol('ts-traced.otel.base');
/** The span's own context, cached, and the baggage it was built with (baggage is replaced on each set). */
const CONTEXT = Symbol('ts-traced.otel.context');
const CONTEXT_BAGGAGE = Symbol('ts-traced.otel.contextBaggage');

interface BridgedSpan extends ShimSpan {
  [BASE]?: Context;
  [CONTEXT]?: Context;
  [CONTEXT_BAGGAGE]?: Baggage;
}

const INVALID_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** The OTel context of what ts-traced holds as active. A span of another tracer has none. */
export function contextOf(span: Span | undefined): Context {
  if (!(span instanceof SpanShim)) return ROOT_CONTEXT;
  const bridged = span as BridgedSpan;
  const baggage = bridged.context().getBaggage();
  const cached = bridged[CONTEXT];
  if (cached !== undefined && bridged[CONTEXT_BAGGAGE] === baggage) return cached;
  let ctx = trace.setSpan(bridged[BASE] ?? ROOT_CONTEXT, bridged.getSpan());
  if (baggage.getAllEntries().length > 0) ctx = propagation.setBaggage(ctx, baggage);
  else if (propagation.getBaggage(ctx) !== undefined) ctx = propagation.deleteBaggage(ctx);
  bridged[CONTEXT] = ctx;
  bridged[CONTEXT_BAGGAGE] = baggage;
  return ctx;
}

/** What to store for OTel context `ctx`: `undefined` for the root, else a shim holding it. */
function holderOf(ctx: Context, tracer: TracerShim, current: Span | undefined): Span | undefined {
  if (ctx === ROOT_CONTEXT) return undefined;
  if (current !== undefined && (current as BridgedSpan)[CONTEXT] === ctx) return current;
  const span: OtelSpan = trace.getSpan(ctx) ?? INVALID_SPAN;
  const baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  const holder = new SpanShim(tracer, span, baggage) as BridgedSpan;
  holder[BASE] = ctx;
  holder[CONTEXT] = ctx;
  holder[CONTEXT_BAGGAGE] = baggage;
  return holder;
}

/**
 * The shim tracer, plus the one thing the bridge needs from each span: the OTel context it was started in
 * (the parent's context, with whatever else the app put in it), read when OTel asks for the span's context.
 */
export class BridgeTracer extends TracerShim {
  override startSpan(name: string, options?: Parameters<TracerShim['startSpan']>[1]): ShimSpan {
    const span = super.startSpan(name, options) as BridgedSpan;
    span[BASE] = context.active();
    return span;
  }
}

/** Scope-backed OTel ContextManager. Extends OTel's own for `bind` (functions and EventEmitters). */
export class ScopeContextManager extends AsyncLocalStorageContextManager {
  constructor(private readonly tracer: TracerShim) {
    super();
  }

  override active(): Context {
    return contextOf(state.storage?.getStore());
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const storage = scopeStorage();
    const cb = thisArg == null ? fn : fn.bind(thisArg);
    return storage.run(holderOf(context, this.tracer, storage.getStore()), cb as (...a: A) => ReturnType<F>, ...args);
  }

  /** OTel's experimental imperative form: enters `context` until the token is disposed. */
  override attach(context: Context): { dispose(): void } {
    const storage = scopeStorage();
    const previous = storage.getStore();
    storage.enterWith(holderOf(context, this.tracer, previous));
    let disposed = false;
    return {
      dispose() {
        if (disposed) return;
        disposed = true;
        storage.enterWith(previous);
      },
    };
  }

  override enable(): this {
    scopeStorage();
    return this;
  }

  /** The storage is ts-traced's and stays in use by instrumented code: nothing to turn off here. */
  override disable(): this {
    return this;
  }
}
