/**
 * The span of one outgoing operation (a query, a request, a publish): a child of the active span, on the tracer
 * in use, finished exactly once, with the context injected where the protocol has headers. Every call into the
 * tracer is guarded: a faulty tracer never changes what the wrapped library does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP, type Span, type SpanContext, type SpanOptions, type Tracer } from 'opentracing';
import { tagError } from './errors';
import { reportFault, startSpanSafely } from './safe';
import { activeSpan } from './scope';
import { state } from './state';

export type Tags = Record<string, string | number | boolean | undefined>;

export class ChildSpan {
  private finished = false;
  constructor(
    readonly span: Span,
    private readonly tracer: Tracer,
  ) {}

  setTag(key: string, value: unknown): void {
    if (value === undefined) return;
    try {
      this.span.setTag(key, value);
    } catch (error) {
      reportFault('span.setTag', error);
    }
  }

  /**
   * Writes the span's context into `carrier` (HTTP headers, or message headers with `textMap`). A throwing
   * `context()` is the span's fault, not `inject`'s, and is reported as such; nothing is written then. `false`
   * when either threw (an `inject` that threw may have written part of the carrier).
   */
  inject(carrier: Record<string, unknown>, textMap = false): boolean {
    let context: SpanContext;
    try {
      context = this.span.context();
    } catch (error) {
      reportFault('span.context', error);
      return false;
    }
    try {
      this.tracer.inject(context, textMap ? FORMAT_TEXT_MAP : FORMAT_HTTP_HEADERS, carrier);
      return true;
    } catch (error) {
      reportFault('tracer.inject', error);
      return false;
    }
  }

  /** Tags the error per OpenTracing conventions, then finishes. */
  fail(error: unknown): void {
    if (this.finished) return;
    tagError(this.span, error);
    this.finish();
  }

  /** Finishes once; later calls do nothing (a library may report both an error and an end). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.span.finish();
    } catch (error) {
      reportFault('span.finish', error);
    }
  }

  get isFinished(): boolean {
    return this.finished;
  }
}

/**
 * Starts a child of the active span (or of `parent` when given; `null` starts a new trace), or returns `undefined`
 * when no tracer is set or tracing is suppressed here (the wrapped call then runs exactly as it would without
 * ts-traced). `undefined` tag values are left out. `startTime` (epoch milliseconds) backdates a span that can
 * only start once its parent is known.
 */
export function startChildSpan(
  name: string,
  tags: Tags,
  tracer: Tracer | undefined = state.tracer,
  parentOrNull?: Span | SpanContext | null,
  startTime?: number,
): ChildSpan | undefined {
  if (tracer === undefined || isTracingSuppressed()) return undefined;
  const clean: Record<string, string | number | boolean> = {};
  for (const key in tags) {
    const value = tags[key];
    if (value !== undefined) clean[key] = value;
  }
  const parent = parentOrNull === undefined ? activeSpan() : (parentOrNull ?? undefined);
  const options: SpanOptions = { tags: clean };
  if (parent !== undefined) options.childOf = parent;
  if (startTime !== undefined) options.startTime = startTime;
  const span = startSpanSafely(tracer, name, options);
  return span === undefined ? undefined : new ChildSpan(span, tracer);
}

/** The span context `carrier` holds (HTTP headers, or message headers with `textMap`); `undefined` when none. */
export function extractContext(carrier: unknown, textMap: boolean, tracer: Tracer): SpanContext | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  try {
    return tracer.extract(textMap ? FORMAT_TEXT_MAP : FORMAT_HTTP_HEADERS, carrier) ?? undefined;
  } catch (error) {
    reportFault('tracer.extract', error);
    return undefined;
  }
}

const SUPPRESSED = Symbol.for('ts-traced.suppressed.v1');
const holder = globalThis as typeof globalThis & { [SUPPRESSED]?: AsyncLocalStorage<boolean> };

/**
 * Runs `fn` with client spans turned off, also in everything it schedules: for an exporter's own requests, which
 * would otherwise be traced and exported in turn. Its own storage, created on first use and shared by every copy
 * of the runtime.
 */
export function suppressTracing<R>(fn: () => R): R {
  return (holder[SUPPRESSED] ??= new AsyncLocalStorage<boolean>()).run(true, fn);
}

/** True inside `suppressTracing`. */
export function isTracingSuppressed(): boolean {
  return holder[SUPPRESSED]?.getStore() === true;
}
