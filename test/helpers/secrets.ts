/**
 * Redaction checks: plant a unique marker wherever a secret can travel (headers, URL, payload), then search
 * everything the tracer recorded for it: span names, tags and log fields, recursively through objects, arrays
 * and errors (message, stack, cause, own properties), as an exporter that serialises them would see them.
 */
import { randomBytes } from 'node:crypto';
import type { RecordedSpan } from './mock-tracer';

/** `S3CR3T-<12 hex>`: unique per call, so a hit cannot come from another test. */
export function secretMarker(): string {
  return `S3CR3T-${randomBytes(6).toString('hex')}`;
}

/** Paths (`span[2].logs[0].error.object.message`) where `marker` occurs, in any case or percent-encoded. */
export function findMarker(spans: readonly RecordedSpan[], marker: string): string[] {
  const needles = [marker.toLowerCase(), encodeURIComponent(marker).toLowerCase()];
  const hits: string[] = [];
  const seen = new WeakSet<object>();
  const visit = (value: unknown, path: string, depth: number): void => {
    if (typeof value === 'string') {
      const text = value.toLowerCase();
      if (needles.some((n) => text.includes(n))) hits.push(path);
      return;
    }
    if (Buffer.isBuffer(value)) return visit(value.toString('latin1'), path, depth);
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || depth > 8) return;
    if (seen.has(value)) return;
    seen.add(value);
    if (value instanceof Error) {
      visit(value.message, `${path}.message`, depth + 1);
      visit(value.stack, `${path}.stack`, depth + 1);
      visit((value as { cause?: unknown }).cause, `${path}.cause`, depth + 1);
    }
    if (value instanceof Map) {
      for (const [k, v] of value) visit(v, `${path}.${String(k)}`, depth + 1);
      return;
    }
    for (const key of Object.keys(value)) {
      visit(key, `${path}{key}`, depth + 1);
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[key];
      } catch {
        continue;
      }
      visit(child, `${path}.${key}`, depth + 1);
    }
  };
  spans.forEach((span, i) => {
    visit(span.name, `span[${i}].name`, 0);
    visit(span.tags, `span[${i}].tags`, 0);
    visit(span.logs, `span[${i}].logs`, 0);
  });
  return hits;
}
