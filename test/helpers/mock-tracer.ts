/**
 * opentracing's MockTracer, made to remember what tests assert on: the parent of each span (MockSpan drops
 * references) and how many times `finish` was called (a second finish is counted, not ignored).
 */
import { MockTracer, Reference, REFERENCE_CHILD_OF, type SpanContext, type SpanOptions } from 'opentracing';
import { setTracer } from '../../src/runtime/tracer';

const MockSpanClass = Object.getPrototypeOf(new MockTracer().startSpan('probe')).constructor as new (
  tracer: MockTracer,
) => MockSpanLike;

interface MockSpanLike {
  _operationName: string;
  _tags: Record<string, unknown>;
  _logs: { fields: Record<string, unknown>; timestamp?: number }[];
  _finishMs: number;
  _startMs: number;
  uuid(): string;
  context(): SpanContext;
  finish(t?: number): void;
  addReference(ref: Reference): void;
}

export class RecordedSpan extends MockSpanClass {
  parent: RecordedSpan | undefined;
  finishCount = 0;
  override addReference(ref: Reference): void {
    if (ref.type() !== REFERENCE_CHILD_OF) return;
    const ctx = ref.referencedContext() as SpanContext & { span?: () => unknown; _span?: unknown };
    const parent = typeof ctx.span === 'function' ? ctx.span() : ctx._span;
    if (parent instanceof RecordedSpan) this.parent = parent;
  }
  override finish(t?: number): void {
    this.finishCount++;
    super.finish(t);
  }
  get name(): string {
    return this._operationName;
  }
  get tags(): Record<string, unknown> {
    return this._tags;
  }
  get logs(): Record<string, unknown>[] {
    return this._logs.map((l) => l.fields);
  }
  /** The outermost ancestor: spans of one trace share it. */
  get root(): RecordedSpan {
    let s: RecordedSpan = this;
    while (s.parent) s = s.parent;
    return s;
  }
  /** `a > b > c`: the chain of names from the root, for compact assertions. */
  get path(): string {
    return this.parent ? `${this.parent.path} > ${this.name}` : this.name;
  }
}

export class RecordingTracer extends MockTracer {
  readonly started: RecordedSpan[] = [];
  /** MockTracer drops `startSpan`'s tags; real tracers keep them. */
  protected override _startSpan(name: string, fields: SpanOptions): any {
    const span = super._startSpan(name, fields);
    if (fields.tags) span.addTags(fields.tags);
    return span;
  }
  constructor() {
    super();
    // `_allocSpan` is MockTracer's documented extension point, but private in its typings.
    (this as unknown as { _allocSpan: () => RecordedSpan })._allocSpan = () => {
      const span = this.newSpan();
      this.started.push(span);
      return span;
    };
  }
  /** Where a subclass makes spans of its own kind. */
  protected newSpan(): RecordedSpan {
    return new RecordedSpan(this);
  }
  /** Spans whose `finish` has been called at least once, in start order. */
  finished(): RecordedSpan[] {
    return this.started.filter((s) => s.finishCount > 0);
  }
  byName(name: string): RecordedSpan[] {
    return this.started.filter((s) => s.name === name);
  }
  reset(): void {
    this.started.length = 0;
    this.clear();
  }
}

/** A fresh recording tracer, set as the runtime's tracer. */
export function installRecordingTracer(): RecordingTracer {
  const tracer = new RecordingTracer();
  setTracer(tracer);
  return tracer;
}
