/**
 * A tracer that fails on purpose (RELIABILITY C4). Any of its methods, or its spans' methods, throws a chosen
 * value (an Error, a string, a Proxy whose every trap throws): on every call, on the nth call only, or on every
 * kth; and `startSpan` can hand back garbage (`undefined`, `null`, `42`, a span whose `context()` is `undefined`,
 * another tracer's span). It is the propagating recording tracer underneath, so a test still sees every span it
 * started, how often `finish` was called, and the traceparent it injects when nothing fails.
 */
import opentracing = require('opentracing');
import { setTracer } from '../../src/runtime/tracer';
import { RecordedSpan, RecordingTracer } from './mock-tracer';
import { PropagatingRecordingTracer } from './propagating-tracer';

export const TRACER_POINTS = ['startSpan', 'inject', 'extract'] as const;
export const SPAN_POINTS = [
  'finish',
  'setTag',
  'addTags',
  'log',
  'logEvent',
  'setOperationName',
  'setBaggageItem',
  'getBaggageItem',
  'context',
] as const;
export const FAULT_POINTS = [...TRACER_POINTS, ...SPAN_POINTS] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** What a failing method throws. */
export type Thrown = 'error' | 'string' | 'proxy';
/** What `startSpan` returns instead of a span. */
export type Garbage = 'undefined' | 'null' | 'number' | 'contextless' | 'foreign' | 'noop';

export interface FaultPlan {
  /** The methods that fail: a list, or `'all'`. Default none. */
  readonly throws?: readonly FaultPoint[] | 'all';
  /** What they throw. Default `'error'`. */
  readonly value?: Thrown;
  /** Only the nth call (1-based, counted per method) fails. */
  readonly nth?: number;
  /** Every kth call (per method) fails. Without `nth` or `every`, every call fails. */
  readonly every?: number;
  /** `startSpan` returns this instead of a span (its call is still counted). */
  readonly startSpanReturns?: Garbage;
}

/** A Proxy whose every trap throws: as hostile as a thrown value can be. */
export function hostileValue(): object {
  const trap = () => {
    throw new Error('hostile thrown value');
  };
  return new Proxy(function () {}, {
    get: trap,
    has: trap,
    ownKeys: trap,
    getPrototypeOf: trap,
    getOwnPropertyDescriptor: trap,
    apply: trap,
    construct: trap,
  });
}

export class FaultTracer extends PropagatingRecordingTracer {
  /** Calls per method, failed ones included. */
  readonly calls = Object.fromEntries(FAULT_POINTS.map((p) => [p, 0])) as Record<FaultPoint, number>;
  /** Every value thrown at the runtime: a test checks that none of them reached the host. */
  readonly thrown: unknown[] = [];
  /** Spans of another tracer handed out for `startSpan` (plan `foreign`). */
  readonly foreign = new RecordingTracer();
  /** Spans `startSpan` returned (a span it began building and then threw on is not among them). */
  readonly handedOut = new Set<opentracing.Span>();

  constructor(public plan: FaultPlan = {}) {
    super();
    (this as unknown as { _allocSpan: () => RecordedSpan })._allocSpan = () => {
      const span = new FaultSpan(this);
      this.started.push(span);
      return span;
    };
  }

  /** True while the recording tracer underneath builds a span (it calls span methods itself). */
  private building = false;

  /** Counts a call of `point` and throws when the plan says this one fails. */
  trip(point: FaultPoint): void {
    if (this.building) return;
    const n = ++this.calls[point];
    const { throws = [], nth, every } = this.plan;
    if (throws !== 'all' && !throws.includes(point)) return;
    if (nth !== undefined && n !== nth) return;
    if (every !== undefined && n % every !== 0) return;
    const value = this.plan.value === 'string' ? `${point} failed` : this.plan.value === 'proxy' ? hostileValue() : new Error(`${point} failed`);
    this.thrown.push(value);
    throw value;
  }

  override startSpan(name: string, options?: opentracing.SpanOptions): opentracing.Span {
    this.trip('startSpan');
    switch (this.plan.startSpanReturns) {
      case 'undefined':
        return undefined as never;
      case 'null':
        return null as never;
      case 'number':
        return 42 as never;
      case 'foreign':
        return this.handOut(this.foreign.startSpan(name));
      case 'noop':
        return new opentracing.Tracer().startSpan(name);
      case 'contextless': {
        const span = this.build(name, options);
        (span as unknown as FaultSpan).contextless = true;
        return this.handOut(span);
      }
      default:
        return this.handOut(this.build(name, options));
    }
  }

  private handOut(span: opentracing.Span): opentracing.Span {
    this.handedOut.add(span);
    return span;
  }

  private build(name: string, options?: opentracing.SpanOptions): opentracing.Span {
    this.building = true;
    try {
      return super.startSpan(name, options);
    } finally {
      this.building = false;
    }
  }

  override inject(context: opentracing.SpanContext | opentracing.Span, format: string, carrier: unknown): void {
    this.trip('inject');
    super.inject(context, format, carrier);
  }

  override extract(format: string, carrier: unknown): opentracing.SpanContext | null {
    this.trip('extract');
    return super.extract(format, carrier);
  }

  /** Spans handed out and not finished, or finished more than once (both must be empty). */
  unbalanced(): RecordedSpan[] {
    return [...this.handedOut].filter((s) => (s as unknown as RecordedSpan).finishCount !== 1) as unknown as RecordedSpan[];
  }
}

/** MockSpan's inherited opentracing methods, which RecordedSpan's typings leave out. */
const base = RecordedSpan.prototype as unknown as opentracing.Span;

class FaultSpan extends RecordedSpan {
  contextless = false;
  constructor(private readonly owner: FaultTracer) {
    super(owner);
  }
  override finish(t?: number): void {
    this.owner.trip('finish');
    super.finish(t);
  }
  setTag(key: string, value: unknown): this {
    this.owner.trip('setTag');
    base.setTag.call(this, key, value);
    return this;
  }
  addTags(tags: Record<string, unknown>): this {
    this.owner.trip('addTags');
    base.addTags.call(this, tags);
    return this;
  }
  log(fields: Record<string, unknown>, timestamp?: number): this {
    this.owner.trip('log');
    base.log.call(this, fields, timestamp);
    return this;
  }
  logEvent(event: string, payload: unknown): void {
    this.owner.trip('logEvent');
    base.logEvent.call(this, event, payload);
  }
  setOperationName(name: string): this {
    this.owner.trip('setOperationName');
    base.setOperationName.call(this, name);
    return this;
  }
  setBaggageItem(key: string, value: string): this {
    this.owner.trip('setBaggageItem');
    base.setBaggageItem.call(this, key, value);
    return this;
  }
  getBaggageItem(key: string): string | undefined {
    this.owner.trip('getBaggageItem');
    return base.getBaggageItem.call(this, key);
  }
  override context(): opentracing.SpanContext {
    this.owner.trip('context');
    return this.contextless ? (undefined as never) : super.context();
  }
}

/** A fresh fault tracer with `plan`, set as the runtime's tracer. */
export function installFaultTracer(plan: FaultPlan = {}): FaultTracer {
  const tracer = new FaultTracer(plan);
  setTracer(tracer);
  return tracer;
}
