/** What a test compares of recorded spans: the path of names, the finish count, tags and logged events. */
import type { RecordedSpan } from '../helpers/mock-tracer';

export function spanSummary(spans: readonly RecordedSpan[]): string[] {
  return spans.map((s) => {
    const tags = Object.entries(s.tags)
      .filter(([k]) => k !== 'error.object')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${String(v)}`);
    const events = s.logs.map((l) => String(l.event));
    return `${s.path} finished=${s.finishCount} [${tags.join(' ')}] {${events.join(' ')}}`;
  });
}
