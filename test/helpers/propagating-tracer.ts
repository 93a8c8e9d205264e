/**
 * Test only: the recording MockTracer plus `inject`/`extract`, which MockTracer leaves unimplemented. It writes a
 * W3C-shaped `traceparent` (trace id = the root span's id, left-padded; span id = the span's own id) and reads it
 * back to the recorded span, so a test can follow a trace through a real server or broker in the same process.
 * `extraHeaders` are written by every inject, to play a tracer that hands out odd values (CR/LF, bad names).
 */
import { FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP, type SpanContext } from 'opentracing';
import { setTracer } from '../../src/runtime/tracer';
import { RecordingTracer, type RecordedSpan } from './mock-tracer';

export class PropagatingRecordingTracer extends RecordingTracer {
  extraHeaders: Record<string, string> = {};
  /** Every carrier written by `inject`, in order. */
  readonly injected: Record<string, unknown>[] = [];

  constructor() {
    super();
    // MockTracer types `_inject`/`_extract` as never-returning (they throw), so they are set here, not overridden.
    const self = this as unknown as {
      _inject: (context: SpanContext, format: string, carrier: unknown) => void;
      _extract: (format: string, carrier: unknown) => SpanContext | null;
    };
    self._inject = (context, format, carrier) => this.write(context, format, carrier);
    self._extract = (format, carrier) => this.read(format, carrier);
  }

  private write(context: SpanContext, format: string, carrier: unknown): void {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return;
    const span = (context as SpanContext & { span(): RecordedSpan }).span();
    const target = carrier as Record<string, unknown>;
    target.traceparent = `00-${span.root.uuid().padStart(32, '0')}-${span.uuid()}-01`;
    Object.assign(target, this.extraHeaders);
    this.injected.push({ ...target });
  }

  private read(format: string, carrier: unknown): SpanContext | null {
    if (format !== FORMAT_HTTP_HEADERS && format !== FORMAT_TEXT_MAP) return null;
    const span = spanOfTraceparent(this, headerOf(carrier, 'traceparent'));
    return span ? span.context() : null;
  }
}

function headerOf(carrier: unknown, name: string): unknown {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  for (const [key, value] of Object.entries(carrier)) {
    if (key.toLowerCase() === name) return Buffer.isBuffer(value) ? value.toString() : value;
  }
  return undefined;
}

/** The span a `traceparent` value names, among the spans `tracer` started. */
export function spanOfTraceparent(tracer: RecordingTracer, value: unknown): RecordedSpan | undefined {
  const match = typeof value === 'string' ? /^00-[0-9a-f]{32}-([0-9a-f]{16})-01$/.exec(value) : null;
  return match ? tracer.started.find((s) => s.uuid() === match[1]) : undefined;
}

/** A fresh propagating recording tracer, set as the runtime's tracer. */
export function installPropagatingTracer(): PropagatingRecordingTracer {
  const tracer = new PropagatingRecordingTracer();
  setTracer(tracer);
  return tracer;
}
