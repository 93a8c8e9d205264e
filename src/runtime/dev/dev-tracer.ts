/**
 * A lean recording OpenTracing tracer for development: it keeps each span as a plain record and hands it to
 * its listeners when it finishes (the console tree, the file exporter). It is the default while developing,
 * so it is built to cost little per span: one span and one context object, a span id sliced from a pooled
 * random buffer, two `performance.now()` reads, the caller's tags shared until written.
 */
import { types } from 'node:util';
import opentracing = require('opentracing');
import { extractContext, injectContext, isSpanId, isTraceId, newSpanId, newTraceId, type PropagationFormat } from '../propagation';
import { padHexId } from '../propagation/ids';
import { reportFault } from '../safe';
import { DevSpan, DevSpanContext, type SpanSink } from './span';

export interface DevTracerOptions {
  /** Formats `inject` writes and `extract` reads, in order of precedence. Default `['w3c']`. */
  readonly propagation?: readonly PropagationFormat[];
}

/** Called with each span when it finishes (once per span). A throw or a rejection is reported once and goes no further. */
export type FinishListener = (span: DevSpan) => void;

const NO_LISTENERS: readonly FinishListener[] = [];
const onListenerRejected = (error: unknown): void => reportFault('devTracer.onFinish', error);

export class DevTracer extends opentracing.Tracer implements SpanSink {
  readonly propagation: readonly PropagationFormat[];
  /** Replaced, never mutated, so a listener that unsubscribes during a report does not disturb the loop. */
  private listeners: readonly FinishListener[] = NO_LISTENERS;

  constructor(options: DevTracerOptions = {}) {
    super();
    this.propagation = options.propagation?.length ? [...options.propagation] : ['w3c'];
  }

  /** Calls `listener` with every span that finishes from now on. Returns a function that removes it. */
  onFinish(listener: FinishListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Same result as the base class's `startSpan` (which turns `childOf` into a `Reference` array, deletes it from
   * the caller's options and calls `_startSpan`), without the allocations or the mutation: this is the hot path.
   */
  override startSpan(name: string, options?: opentracing.SpanOptions): DevSpan {
    if (options === undefined) return this.open(name, undefined, undefined, undefined);
    const childOf = options.childOf;
    const parent = childOf != null ? adopt(childOf) : parentOf(options.references);
    return this.open(name, parent, options.tags, options.startTime);
  }

  protected override _startSpan(name: string, fields: opentracing.SpanOptions): DevSpan {
    return this.open(name, parentOf(fields.references), fields.tags, fields.startTime);
  }

  /** HTTP headers and text maps, in the configured formats; a binary carrier is left alone. Never throws. */
  protected override _inject(context: opentracing.SpanContext, format: string, carrier: unknown): void {
    if (!isTextFormat(format) || typeof carrier !== 'object' || carrier === null) return;
    const ours = adopt(context);
    if (ours !== undefined) injectContext(ours, carrier as Record<string, unknown>, this.propagation);
  }

  /**
   * The remote parent in `carrier`, or `null` (start a new trace) when there is none or it is malformed. A
   * sampled-out parent is still recorded here, and its flag is passed on to children and outgoing calls.
   */
  protected override _extract(format: string, carrier: unknown): DevSpanContext | null {
    if (!isTextFormat(format)) return null;
    const ctx = extractContext(carrier, this.propagation);
    if (ctx === undefined) return null;
    return new DevSpanContext(ctx.traceId, ctx.spanId, ctx.sampled, ctx.random === true, ctx.baggage, ctx.traceState, true);
  }

  /** The sink side of a span: its first `finish` lands here. */
  report(span: DevSpan): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        const result: unknown = listeners[i](span);
        // An async listener (an exporter that awaits its I/O): its rejection is a fault too, never an unhandled one.
        if (types.isPromise(result)) result.then(undefined, onListenerRejected);
      } catch (error) {
        reportFault('devTracer.onFinish', error);
      }
    }
  }

  private open(
    name: string,
    parent: DevSpanContext | undefined,
    tags: Record<string, unknown> | undefined,
    startTime: number | undefined,
  ): DevSpan {
    const startedAt = typeof startTime === 'number' ? startTime - performance.timeOrigin : performance.now();
    const context =
      parent === undefined
        ? new DevSpanContext(newTraceId(), newSpanId(), true, true, undefined, undefined, false)
        : new DevSpanContext(parent.traceId, newSpanId(), parent.sampled, parent.random, parent.baggage, parent.traceState, false);
    return new DevSpan(this, name, context, parent?.spanId, parent !== undefined && !parent.remote, tags, startedAt);
  }
}

function isTextFormat(format: string): boolean {
  return format === opentracing.FORMAT_HTTP_HEADERS || format === opentracing.FORMAT_TEXT_MAP;
}

/** The first `childOf` reference, else the first `followsFrom`: the span's parent. */
function parentOf(references: readonly opentracing.Reference[] | undefined): DevSpanContext | undefined {
  if (references === undefined || references.length === 0) return undefined;
  let fallback: unknown;
  for (const reference of references) {
    try {
      if (reference.type() === opentracing.REFERENCE_CHILD_OF) return adopt(reference.referencedContext());
      fallback ??= reference.referencedContext();
    } catch (error) {
      reportFault('devTracer.reference', error);
    }
  }
  return fallback === undefined ? undefined : adopt(fallback);
}

/**
 * A parent given as one of our spans or contexts is used as it is. Anything else (another tracer's span or
 * context) is adopted through `toTraceId`/`toSpanId` when those give usable ids (64-bit trace ids are padded, as
 * Jaeger sends them), and counts as remote; otherwise the span starts a new trace.
 */
function adopt(parent: unknown): DevSpanContext | undefined {
  if (parent instanceof DevSpan) return parent.context();
  if (parent instanceof DevSpanContext) return parent;
  try {
    const context = parent instanceof opentracing.Span ? parent.context() : (parent as opentracing.SpanContext);
    const rawTraceId: unknown = context?.toTraceId?.();
    const traceId = typeof rawTraceId === 'string' ? padHexId(rawTraceId, 32) : undefined;
    const spanId: unknown = context?.toSpanId?.();
    if (!isTraceId(traceId) || !isSpanId(spanId)) return undefined;
    return new DevSpanContext(traceId, spanId, true, false, undefined, undefined, true);
  } catch (error) {
    reportFault('devTracer.parentContext', error);
    return undefined;
  }
}

