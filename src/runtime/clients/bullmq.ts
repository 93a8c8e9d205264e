/**
 * BullMQ through its own hook point: the `telemetry` option of `Queue`, `Worker` and `FlowProducer`, an
 * interface BullMQ made for tracers (`bullmq-otel` implements it for OpenTelemetry). `bullmqTelemetry()` implements
 * it over the OpenTracing tracer and the runtime's active span:
 * - `Queue.add` is a producer span (BullMQ names it `add <queue>.<job>`); BullMQ asks for its context as a string
 *   and keeps it in the job's options (`job.opts.telemetry.metadata`, stored with the job in Redis), so `job.data`
 *   reaches the processor exactly as it was added.
 * - The worker's `process <queue>` span is a consumer span, child of that context (or a new trace: never the span
 *   that was active where the worker was created), active while the processor runs; a failed job marks it.
 * - BullMQ's internal operations (polling for jobs, lock renewal...) are not spans unless `internalSpans: true`.
 * Attributes are kept from an allow-list: BullMQ also reports job results and options, which may hold user data.
 *
 * `bullmq.install()` gives every queue and worker created without a `telemetry` option this one, by wrapping
 * `QueueBase.prototype.trace` (the method through which `Queue` and `Worker` reach their telemetry).
 */
import { Tags, type Span, type SpanContext, type Tracer } from 'opentracing';
import { tagError } from '../errors';
import { ChildSpan, extractContext, startChildSpan } from '../child-span';
import { activeSpan, withSpan } from '../scope';
import { state } from '../state';
import { defineWrapper, runHook, wrapMethod, type ClientOptions } from './install';
import { tagFailure } from './http-tags';

/** What the hooks receive, at the start (`requestHook`) and at the end (`responseHook`) of each span. */
export interface BullmqSpanInfo {
  /** `producer`, `consumer`, or `internal`. */
  readonly kind: string;
  /** BullMQ's span name, e.g. `add orders.charge`, `process orders`. */
  readonly name: string;
}

export interface BullmqOptions extends ClientOptions<BullmqSpanInfo, BullmqSpanInfo> {
  /** Also trace BullMQ's internal operations (`getNextJob`, `extendLocks`, `moveStalledJobsToWait`...). Default `false`. */
  readonly internalSpans?: boolean;
}

/** The context type this telemetry hands BullMQ: the active span, or a context read from a job. */
type Context = Span | SpanContext | undefined;

/** BullMQ's `SpanKind` values. */
const KIND: Record<number, string> = { 0: 'internal', 1: 'server', 2: 'client', 3: 'producer', 4: 'consumer' };
const CONSUMER = 4;

/** BullMQ attributes recorded as tags; the others (results, options, timestamps) are left out. */
const ALLOWED = new Set([
  'bullmq.queue.name',
  'bullmq.queue.operation',
  'bullmq.job.name',
  'bullmq.job.id',
  'bullmq.job.ids',
  'bullmq.job.bulk.count',
  'bullmq.job.bulk.names',
  'bullmq.job.attempts.made',
  'bullmq.job.type',
  'bullmq.job.state',
  'bullmq.worker.id',
  'bullmq.worker.name',
  'bullmq.flow.name',
]);

const isSpan = (value: unknown): value is Span =>
  typeof value === 'object' && value !== null && typeof (value as Span).finish === 'function';

/** One BullMQ span; a `ChildSpan` underneath, or nothing (not traced), in which case every method is a no-op. */
class TelemetrySpan {
  constructor(
    private readonly child: ChildSpan | undefined,
    private readonly info: BullmqSpanInfo,
    private readonly options: BullmqOptions,
  ) {}
  setSpanOnContext(context: Context): Context {
    return this.child?.span ?? context;
  }
  setAttribute(key: string, value: unknown): void {
    if (this.child === undefined || !ALLOWED.has(key)) return;
    this.child.setTag(key, Array.isArray(value) ? value.join(',') : value);
    if (key === 'bullmq.queue.name') this.child.setTag(Tags.MESSAGE_BUS_DESTINATION, value);
  }
  setAttributes(attributes: Record<string, unknown>): void {
    if (this.child === undefined || typeof attributes !== 'object' || attributes === null) return;
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]);
  }
  addEvent(name: string, attributes?: Record<string, unknown>): void {
    if (this.child === undefined || name !== 'job failed') return;
    const reason = attributes?.['bullmq.job.failed.reason'];
    tagFailure(this.child.span, typeof reason === 'string' ? reason : 'job failed');
  }
  recordException(exception: unknown): void {
    if (this.child !== undefined) tagError(this.child.span, exception);
  }
  end(): void {
    if (this.child === undefined) return;
    runHook(this.options.responseHook, this.child.span, this.info, 'hook.responseHook');
    this.child.finish();
  }
}

/**
 * A BullMQ `Telemetry` over the OpenTracing tracer in use: pass it as the `telemetry` option of a `Queue`,
 * `Worker` or `FlowProducer` (or let `bullmq.install()` do it for every one created without one).
 */
export function bullmqTelemetry(options: BullmqOptions = {}) {
  const tracerOf = (): Tracer | undefined => options.tracer ?? state.tracer;
  const tracer = {
    startSpan(name: string, spanOptions?: { kind?: number }, context?: Context): TelemetrySpan {
      const kind = KIND[spanOptions?.kind ?? 0] ?? 'internal';
      const info = { kind, name };
      const t = tracerOf();
      if (t === undefined || (kind === 'internal' && !options.internalSpans)) return new TelemetrySpan(undefined, info, options);
      // A consumer continues the job's context only; anything else continues the given or the active context.
      const parent = spanOptions?.kind === CONSUMER ? (context ?? null) : (context ?? activeSpan() ?? null);
      const child = startChildSpan(
        name,
        {
          [Tags.SPAN_KIND]: kind === 'internal' ? undefined : kind,
          [Tags.COMPONENT]: 'bullmq',
          [Tags.PEER_SERVICE]: options.peerService,
        },
        t,
        parent,
      );
      if (child !== undefined) runHook(options.requestHook, child.span, info, 'hook.requestHook');
      return new TelemetrySpan(child, info, options);
    },
  };
  const contextManager = {
    active: (): Context => activeSpan(),
    root: (): Context => undefined,
    with<A extends (...args: any[]) => any>(context: Context, fn: A): ReturnType<A> {
      if (state.storage === undefined || (context !== undefined && !isSpan(context))) return fn();
      return withSpan(context as Span | undefined, fn);
    },
    getMetadata(context: Context): string {
      const t = tracerOf();
      if (t === undefined || !isSpan(context)) return '';
      const carrier: Record<string, unknown> = {};
      // A throwing `context()` or `inject` is reported under its own kind, and the job carries no context.
      if (!new ChildSpan(context, t).inject(carrier, true)) return '';
      return Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : '';
    },
    fromMetadata(_active: Context, metadata: string): Context {
      const t = tracerOf();
      if (t === undefined || typeof metadata !== 'string' || metadata === '') return undefined;
      let carrier: unknown;
      try {
        carrier = JSON.parse(metadata);
      } catch {
        return undefined;
      }
      return extractContext(carrier, true, t);
    },
  };
  return { tracer, contextManager };
}

type Trace = (this: { opts?: { telemetry?: unknown }; name?: string }, ...args: unknown[]) => unknown;

/** BullMQ 6: every `Queue` and `Worker` created without a `telemetry` option gets `bullmqTelemetry(options)`. */
export const bullmq = defineWrapper<BullmqOptions>({
  name: 'bullmq',
  majors: [6],
  patch(exports: { QueueBase: { prototype: { trace: Trace } }; trace: (...args: unknown[]) => unknown }, options) {
    const telemetry = bullmqTelemetry(options);
    return wrapMethod(exports.QueueBase.prototype, 'trace', (original: Trace) =>
      function (this: { opts?: { telemetry?: unknown }; name?: string }, ...args: unknown[]) {
        if (this.opts?.telemetry !== undefined || (options.tracer ?? state.tracer) === undefined) {
          return original.apply(this, args);
        }
        const [kind, operation, destination, callback, metadata] = args;
        return exports.trace(telemetry, kind, this.name, operation, destination, callback, metadata);
      },
    );
  },
});
