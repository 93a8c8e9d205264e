/**
 * jaeger-client (no published typings) with its own InMemoryReporter and a sample-everything ConstSampler: a real
 * OpenTracing tracer with baggage and the `uber-trace-id` wire format, recording in memory.
 */
import type { Span, SpanContext, Tracer } from 'opentracing';
import { setTracer } from '../../src/runtime/tracer';

export interface JaegerSpanContext extends SpanContext {
  readonly traceIdStr: string;
  readonly spanIdStr: string;
  readonly parentIdStr: string | undefined;
  readonly baggage: Record<string, string>;
}
export interface JaegerSpan extends Span {
  context(): JaegerSpanContext;
  readonly operationName: string;
  readonly _tags: { key: string; value: unknown }[];
  readonly _logs: { fields: { key: string; value: unknown }[] }[];
}
interface InMemoryReporter {
  readonly spans: JaegerSpan[];
  clear(): void;
}
interface JaegerModule {
  Tracer: new (service: string, reporter: InMemoryReporter, sampler: unknown, options?: object) => Tracer & { close(cb?: () => void): void };
  InMemoryReporter: new () => InMemoryReporter;
  ConstSampler: new (decision: boolean) => unknown;
}

const jaeger = require('jaeger-client') as JaegerModule;

export interface JaegerHarness {
  readonly tracer: Tracer;
  /** Finished spans, in finish order. */
  spans(): JaegerSpan[];
  byName(name: string): JaegerSpan;
  /** Tags of a finished span as a plain object. */
  tags(span: JaegerSpan): Record<string, unknown>;
}

/** A jaeger-client tracer reporting to memory, set as the runtime's tracer (unless `install` is false). */
export function installJaegerTracer(install = true): JaegerHarness {
  const reporter = new jaeger.InMemoryReporter();
  const tracer = new jaeger.Tracer('ts-traced-test', reporter, new jaeger.ConstSampler(true), {
    logger: { info() {}, error() {} },
  });
  if (install) setTracer(tracer);
  return {
    tracer,
    spans: () => reporter.spans,
    byName(name) {
      const found = reporter.spans.filter((s) => s.operationName === name);
      if (found.length !== 1) throw new Error(`expected one finished span named ${name}, got ${found.length}`);
      return found[0];
    },
    tags: (span) => Object.fromEntries(span._tags.map((t) => [t.key, t.value])),
  };
}
