/**
 * Turns span records into the HTML of a self-contained waterfall page: one section per trace, one row per span
 * in tree order with a bar placed by start and duration, its tags and logs in a native `<details>` (so rows
 * expand without script). Every string from the records goes through `html` (escaping) here; the page shell
 * (`waterfall-page.ts`) adds the style, the search script and a Content-Security-Policy that allows no network
 * access and no script but its own.
 */
import { formatDuration, toPrintable, truncate } from './format';
import type { RecordValue, SpanRecord } from './span-record';
import { html, renderPage } from './waterfall-page';

export interface WaterfallOptions {
  /** Shown in the page title and heading, e.g. the span file's name. */
  readonly title?: string;
}

interface Row {
  readonly record: SpanRecord;
  readonly depth: number;
  /** Index of the parent row in the trace, -1 for a root. */
  readonly parent: number;
  /** True when the record names a parent that is not in the file. */
  readonly orphan: boolean;
}

interface Trace {
  readonly id: string;
  readonly rows: Row[];
  readonly start: number;
  readonly end: number;
}

export function renderWaterfall(records: readonly SpanRecord[], options: WaterfallOptions = {}): string {
  const traces = groupTraces(records);
  const errors = records.filter((r) => r.error === true).length;
  return renderPage({
    title: options.title ?? 'spans',
    summary: `${plural(traces.length, 'trace')} · ${plural(records.length, 'span')}${errors ? ` · ${plural(errors, 'error')}` : ''}`,
    body: traces.length === 0 ? '<p class="empty">No spans in this file.</p>' : traces.map(renderTrace).join('\n'),
  });
}

function groupTraces(records: readonly SpanRecord[]): Trace[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const record of records) {
    const list = byTrace.get(record.traceId);
    if (list === undefined) byTrace.set(record.traceId, [record]);
    else list.push(record);
  }
  const traces = [...byTrace].map(([id, spans]): Trace => {
    let start = Infinity;
    let end = -Infinity;
    for (const s of spans) {
      start = Math.min(start, s.start);
      end = Math.max(end, s.start + Math.max(0, s.duration));
    }
    return { id, rows: treeOrder(spans), start, end };
  });
  return traces.sort((a, b) => a.start - b.start);
}

/** Depth first, children by start; a span whose parent is missing is a root; each record appears once. */
function treeOrder(spans: readonly SpanRecord[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanRecord[]>();
  for (const span of spans) {
    if (span.parentId == null || !ids.has(span.parentId)) continue;
    const list = children.get(span.parentId);
    if (list === undefined) children.set(span.parentId, [span]);
    else list.push(span);
  }
  const byStart = (a: SpanRecord, b: SpanRecord) => a.start - b.start;
  const isRoot = (s: SpanRecord) => s.parentId == null || !ids.has(s.parentId);
  const rows: Row[] = [];
  const placed = new Set<SpanRecord>();
  // Roots first; then whatever a cycle of ids left unreached, so no record is lost.
  for (const root of [...spans.filter(isRoot).sort(byStart), ...spans]) {
    if (placed.has(root)) continue;
    const stack = [{ record: root, depth: 0, parent: -1 }];
    while (stack.length > 0) {
      const { record, depth, parent } = stack.pop()!;
      if (placed.has(record)) continue;
      placed.add(record);
      const index = rows.push({ record, depth, parent, orphan: record.parentId != null && !ids.has(record.parentId) }) - 1;
      const kids = (children.get(record.spanId) ?? []).filter((k) => !placed.has(k)).sort(byStart);
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ record: kids[i], depth: depth + 1, parent: index });
    }
  }
  return rows;
}

function renderTrace(trace: Trace): string {
  const total = trace.end - trace.start;
  const root = trace.rows[0].record;
  const errors = trace.rows.filter((r) => r.record.error === true).length;
  const meta = [
    formatDuration(total),
    plural(trace.rows.length, 'span'),
    ...(errors ? [`<span class="errors">${plural(errors, 'error')}</span>`] : []),
    html(dateText(trace.start)),
    `trace <code>${html(trace.id)}</code>`,
  ].join(' · ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<span style="left:${f * 100}%">${f === 0 ? '0' : formatDuration(total * f)}</span>`);
  return `<section class="trace${errors ? ' has-error' : ''}" data-trace-id="${html(trace.id)}">
<header><h2>${html(label(root.name))}</h2><p class="meta">${meta}</p></header>
<div class="ruler"><span></span><span class="ticks">${ticks.join('')}</span><span></span></div>
<ol class="spans">
${trace.rows.map((row) => renderRow(row, trace.start, total)).join('\n')}
</ol>
</section>`;
}

function renderRow(row: Row, t0: number, total: number): string {
  const { record } = row;
  const left = total > 0 ? ((record.start - t0) / total) * 100 : 0;
  const width = total > 0 ? Math.max((Math.max(0, record.duration) / total) * 100, 0.2) : 100;
  const tags = Object.entries(record.tags ?? {});
  const search = [record.name, ...tags.map(([, v]) => valueText(v))].join('\n').toLowerCase();
  const classes = ['span', record.error === true ? 'error' : '', row.orphan ? 'orphan' : ''].filter(Boolean).join(' ');
  const mark = record.error === true ? '<span class="mark" title="error">✗</span>' : '';
  return `<li class="${classes}" style="--depth:${Math.min(row.depth, 40)}" data-depth="${row.depth}" data-parent="${row.parent}" data-search="${html(search)}">
<details><summary><span class="label">${mark}<span class="name">${html(label(record.name))}</span></span><span class="track"><span class="bar" style="left:${Math.min(left, 99.8).toFixed(3)}%;width:${Math.min(width, 100 - Math.min(left, 99.8)).toFixed(3)}%"></span></span><span class="dur">${formatDuration(record.duration)}</span></summary>
<div class="detail">${renderDetail(record, row, t0)}</div></details></li>`;
}

function renderDetail(record: SpanRecord, row: Row, t0: number): string {
  const ids =
    `<p class="ids">span <code>${html(record.spanId)}</code>` +
    (record.parentId != null ? ` · parent <code>${html(record.parentId)}</code>${row.orphan ? ' (not in this file)' : ''}` : '') +
    ` · starts ${offsetText(record.start - t0)}</p>`;
  const tags = Object.entries(record.tags ?? {});
  const tagTable = tags.length
    ? `<table class="tags">${tags.map(([k, v]) => `<tr><th>${html(k)}</th><td>${html(valueText(v))}</td></tr>`).join('')}</table>`
    : '<p class="none">no tags</p>';
  const logs = Array.isArray(record.logs) ? record.logs : [];
  const logList = logs.length
    ? `<ol class="logs">${logs.map((log) => renderLog(log, record.start)).join('')}</ol>`
    : '';
  return ids + tagTable + logList;
}

function renderLog(log: SpanRecord['logs'][number], spanStart: number): string {
  const fields = typeof log?.fields === 'object' && log.fields !== null ? Object.entries(log.fields) : [];
  const at = typeof log?.timestamp === 'number' ? offsetText(log.timestamp - spanStart) : '?';
  const items = fields.map(([k, v]) => `<div><span class="k">${html(k)}</span> <span class="v">${html(valueText(v))}</span></div>`);
  return `<li><span class="at">${html(at)}</span>${items.join('')}</li>`;
}

/** A name on one line, bounded: the page stays readable whatever a span was called. */
function label(name: string): string {
  return truncate(toPrintable(name), 200);
}

function valueText(value: RecordValue | unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

function offsetText(ms: number): string {
  return ms < 0 ? `−${formatDuration(-ms)}` : `+${formatDuration(ms)}`;
}

function dateText(epochMs: number): string {
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? String(epochMs) : date.toISOString();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
