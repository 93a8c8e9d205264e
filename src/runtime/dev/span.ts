/**
 * The development tracer's span and context. A span is a plain record: times from `performance.now()` (sub-
 * millisecond, monotonic), tags shared with the caller until the first `setTag` (the runtime passes one static
 * tag object per function to every span of it), logs and baggage created only when used. Nothing here
 * allocates a closure or captures a stack.
 */
import opentracing = require('opentracing');

/** One `span.log(fields, timestamp)` call; `timestamp` in epoch milliseconds. */
export interface DevLog {
  readonly timestamp: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export type Baggage = Readonly<Record<string, string>>;

const EMPTY_TAGS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));

/** What the tracer needs from a span's owner: where a finished span goes. */
export interface SpanSink extends opentracing.Tracer {
  /** Called once per span, on its first `finish`. */
  report(span: DevSpan): void;
}

/**
 * W3C-style ids (32 and 16 lower-case hex). The fields mirror the propagation `TraceContext`, so a context can
 * be injected as it is.
 */
export class DevSpanContext extends opentracing.SpanContext {
  constructor(
    readonly traceId: string,
    readonly spanId: string,
    /** Forwarded as received: a development tracer records everything, but does not change the caller's decision. */
    readonly sampled: boolean,
    /** W3C level-2 random-trace-id flag: set for traces started here, kept as received otherwise. */
    readonly random: boolean,
    /** Replaced (never mutated) by `setBaggageItem`, so children share their parent's object at no cost. */
    public baggage: Baggage | undefined,
    readonly traceState: string | undefined,
    /** True when extracted from a carrier or adopted from another tracer: the span behind it is not recorded here. */
    readonly remote: boolean,
  ) {
    super();
  }
  override toTraceId(): string {
    return this.traceId;
  }
  override toSpanId(): string {
    return this.spanId;
  }
}

export class DevSpan extends opentracing.Span {
  /** `performance.now()` when finished (negative for a time before the process started); NaN while open. */
  endedAt = NaN;
  /** Every `finish()` call, the ignored ones included: tests assert it is 1. */
  finishCount = 0;
  private ownTags = false;
  private logList: DevLog[] | undefined = undefined;

  constructor(
    private readonly sink: SpanSink,
    public name: string,
    private readonly ctx: DevSpanContext,
    /** The parent's span id, local or remote; `undefined` for a new trace. */
    readonly parentId: string | undefined,
    /** True when the parent is a span recorded in this process: false means this span is a local root. */
    readonly parentIsLocal: boolean,
    private tagMap: Readonly<Record<string, unknown>> | undefined,
    /** `performance.now()` at start (negative for an explicit start time before the process started). */
    readonly startedAt: number,
  ) {
    super();
  }

  get traceId(): string {
    return this.ctx.traceId;
  }
  get spanId(): string {
    return this.ctx.spanId;
  }
  /** Start, in epoch milliseconds with a fraction. */
  get start(): number {
    return performance.timeOrigin + this.startedAt;
  }
  /** Milliseconds with a fraction; -1 while the span is open. */
  get duration(): number {
    return this.finishCount === 0 ? -1 : this.endedAt - this.startedAt;
  }
  get tags(): Readonly<Record<string, unknown>> {
    return this.tagMap ?? EMPTY_TAGS;
  }
  get logs(): readonly DevLog[] {
    return this.logList ?? [];
  }
  /** Tagged `error=true`, per the OpenTracing conventions. */
  get error(): boolean {
    return this.tagMap !== undefined && this.tagMap.error === true;
  }
  get isFinished(): boolean {
    return this.finishCount > 0;
  }

  override context(): DevSpanContext {
    return this.ctx;
  }
  override tracer(): opentracing.Tracer {
    return this.sink;
  }
  /** Overridden to skip the base class's one-entry object per call. */
  override setTag(key: string, value: unknown): this {
    this.writableTags()[key] = value;
    return this;
  }

  protected override _context(): DevSpanContext {
    return this.ctx;
  }
  protected override _tracer(): opentracing.Tracer {
    return this.sink;
  }
  protected override _setOperationName(name: string): void {
    this.name = name;
  }
  protected override _setBaggageItem(key: string, value: string): void {
    const next: Record<string, string> = Object.assign(Object.create(null), this.ctx.baggage);
    next[key] = String(value);
    this.ctx.baggage = next;
  }
  protected override _getBaggageItem(key: string): string | undefined {
    const baggage = this.ctx.baggage;
    return baggage !== undefined && Object.prototype.hasOwnProperty.call(baggage, key) ? baggage[key] : undefined;
  }
  protected override _addTags(pairs: Record<string, unknown>): void {
    if (pairs === null || typeof pairs !== 'object') return;
    Object.assign(this.writableTags(), pairs);
  }
  protected override _log(fields: Record<string, unknown>, timestamp?: number): void {
    const at = typeof timestamp === 'number' ? timestamp : performance.timeOrigin + performance.now();
    (this.logList ??= []).push({ timestamp: at, fields: fields ?? {} });
  }
  protected override _finish(finishTime?: number): void {
    if (++this.finishCount > 1) return;
    this.endedAt = typeof finishTime === 'number' ? finishTime - performance.timeOrigin : performance.now();
    this.sink.report(this);
  }

  /** The start tags belong to the caller (often one object shared by every call of a function): copy on first write. */
  private writableTags(): Record<string, unknown> {
    if (!this.ownTags) {
      this.tagMap = Object.assign(Object.create(null), this.tagMap);
      this.ownTags = true;
    }
    return this.tagMap as Record<string, unknown>;
  }
}
