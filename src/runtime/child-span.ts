/**
 * The span of one outgoing operation (a query, a request, a publish): a child of the active span, on the tracer
 * in use, finished exactly once, with the context injected where the protocol has headers. Every call into the
 * tracer is guarded: a faulty tracer never changes what the wrapped library does.
 */
import { FORMAT_HTTP_HEADERS, FORMAT_TEXT_MAP, type Span, type Tracer } from 'opentracing';
import { tagError } from './errors';
import { reportFault } from './safe';
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

  /** Writes the span's context into `carrier` (HTTP headers, or message headers with `textMap`). */
  inject(carrier: Record<string, unknown>, textMap = false): void {
    try {
      this.tracer.inject(this.span.context(), textMap ? FORMAT_TEXT_MAP : FORMAT_HTTP_HEADERS, carrier);
    } catch (error) {
      reportFault('tracer.inject', error);
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
 * Starts a child of the active span, or returns `undefined` when no tracer is set (the wrapped call then runs
 * exactly as it would without ts-traced). `undefined` tag values are left out.
 */
export function startChildSpan(name: string, tags: Tags, tracer: Tracer | undefined = state.tracer): ChildSpan | undefined {
  if (tracer === undefined) return undefined;
  const clean: Record<string, string | number | boolean> = {};
  for (const key in tags) {
    const value = tags[key];
    if (value !== undefined) clean[key] = value;
  }
  const parent = activeSpan();
  try {
    const span = tracer.startSpan(name, parent === undefined ? { tags: clean } : { childOf: parent, tags: clean });
    return new ChildSpan(span, tracer);
  } catch (error) {
    reportFault('tracer.startSpan', error);
    return undefined;
  }
}
