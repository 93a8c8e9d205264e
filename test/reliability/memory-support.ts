/**
 * What the memory tests measure with: a development tracer that keeps nothing (so whatever stays alive is
 * kept by someone else) and counts, through a FinalizationRegistry, the spans it started that are still alive;
 * and a heap reading after the collector has settled. Needs `--expose-gc` (test/run.ts passes it).
 */
import type { SpanOptions } from 'opentracing';
import { DevTracer } from '../../src/runtime/dev/dev-tracer';
import type { DevSpan } from '../../src/runtime/dev/span';

if (typeof global.gc !== 'function') throw new Error('memory tests need node --expose-gc');
const gc = global.gc;

export class CountingTracer extends DevTracer {
  started = 0;
  collected = 0;
  private readonly registry = new FinalizationRegistry<void>(() => void this.collected++);
  override startSpan(name: string, options?: SpanOptions): DevSpan {
    const span = super.startSpan(name, options);
    this.started++;
    this.registry.register(span);
    return span;
  }
  /** Spans started and not yet collected (call `settle()` first). */
  get alive(): number {
    return this.started - this.collected;
  }
}

/** Collects until finalization stops reporting (callbacks run after the collection that freed their objects). */
export async function settle(tracer?: CountingTracer): Promise<void> {
  let last = -1;
  for (let i = 0; i < 30; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = tracer?.collected ?? i;
    if (tracer !== undefined && now === last && i >= 3) return;
    last = now;
    if (tracer === undefined && i >= 3) return;
  }
}

/** heapUsed after settling, in bytes. */
export async function heapAfterGc(tracer?: CountingTracer): Promise<number> {
  await settle(tracer);
  return process.memoryUsage().heapUsed;
}

export const MiB = 1024 * 1024;
