/**
 * Prints each trace as a tree when its local root finishes (the span whose parent is not recorded in this
 * process: a request's server span, a job's first function). Spans of the trace that finish after that are
 * printed as a continuation under the name of their printed parent.
 *
 * Memory is bounded whatever the app does (a root that never finishes, a loop that opens a span per item):
 * - at most `maxSpansPerTrace` spans wait for one root; more are counted and reported as a note under its tree;
 * - at most `maxOpenTraces` traces are remembered and `maxBufferedSpans` spans wait in all; past either, the
 *   least recently active trace is printed as it is, marked incomplete, and forgotten (a span of it that
 *   finishes later starts a new entry).
 */
import { reportFault } from '../safe';
import { DevTracer, type DevTracerOptions } from './dev-tracer';
import { describeValue, toPrintable, truncate } from './format';
import type { DevSpan } from './span';
import { renderTree, type SpanTree } from './tree-text';

export interface ConsoleTreeOptions {
  /** Where trees are written. Default `process.stderr`, so an app's own stdout stays clean. */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** ANSI colours. Default: when the stream is a TTY and `NO_COLOR` is unset or empty. */
  readonly color?: boolean;
  /** Default 1000. */
  readonly maxSpansPerTrace?: number;
  /** Default 100. */
  readonly maxOpenTraces?: number;
  /** Default 10 000. */
  readonly maxBufferedSpans?: number;
}

export interface ConsoleTracerOptions extends ConsoleTreeOptions, DevTracerOptions {}

interface TraceEntry {
  /** Finished spans waiting for their local root. */
  pending: DevSpan[];
  /** Span id → name of spans already printed: where a late span is continued (bounded like `pending`). */
  readonly printed: Map<string, string>;
  /** Spans dropped because `pending` was full, not yet reported. */
  dropped: number;
}

export class ConsoleTree {
  private readonly stream: NodeJS.WritableStream;
  private readonly color: boolean;
  private readonly maxSpansPerTrace: number;
  private readonly maxOpenTraces: number;
  private readonly maxBufferedSpans: number;
  /** In order of last activity, least recent first. */
  private readonly traces = new Map<string, TraceEntry>();
  private buffered = 0;

  constructor(options: ConsoleTreeOptions = {}) {
    const stream = options.stream ?? process.stderr;
    const noColor = process.env.NO_COLOR;
    this.stream = stream;
    this.color = options.color ?? (stream.isTTY === true && (noColor === undefined || noColor === ''));
    this.maxSpansPerTrace = Math.max(1, options.maxSpansPerTrace ?? 1000);
    this.maxOpenTraces = Math.max(1, options.maxOpenTraces ?? 100);
    this.maxBufferedSpans = Math.max(1, options.maxBufferedSpans ?? 10_000);
  }

  /** Traces remembered (waiting for a root, or printed and open to continuation). */
  get openTraces(): number {
    return this.traces.size;
  }

  /** Finished spans waiting for their root, in all traces. */
  get bufferedSpans(): number {
    return this.buffered;
  }

  /** The tracer listener, bound: `tracer.onFinish(tree.add)`. Takes one finished span. */
  readonly add = (span: DevSpan): void => {
    const entry = this.touch(span.traceId);
    if (!span.parentIsLocal) return this.print(entry, span, undefined);
    const parentName = entry.printed.get(span.parentId!);
    if (parentName !== undefined) return this.print(entry, span, parentName);
    if (entry.pending.length >= this.maxSpansPerTrace) {
      entry.dropped++;
      return;
    }
    entry.pending.push(span);
    if (++this.buffered > this.maxBufferedSpans) this.evict();
  };

  private touch(traceId: string): TraceEntry {
    let entry = this.traces.get(traceId);
    if (entry !== undefined) {
      this.traces.delete(traceId);
    } else {
      entry = { pending: [], printed: new Map(), dropped: 0 };
    }
    this.traces.set(traceId, entry);
    if (this.traces.size > this.maxOpenTraces) this.evict();
    return entry;
  }

  /** Prints `root` with its waiting descendants and forgets them; remembers their names for late children. */
  private print(entry: TraceEntry, root: DevSpan, continuedUnder: string | undefined): void {
    const taken = new Set<DevSpan>();
    const tree = growTree(root, byParent(entry.pending), taken);
    if (taken.size > 1) {
      entry.pending = entry.pending.filter((s) => !taken.has(s));
      this.buffered -= taken.size - 1;
    }
    for (const span of taken) {
      if (entry.printed.size >= this.maxSpansPerTrace) break;
      entry.printed.set(span.spanId, truncate(toPrintable(describeValue(span.name)), 60));
    }
    const where = continuedUnder === undefined ? '' : `  continued under ${continuedUnder}`;
    const remote = continuedUnder === undefined && root.parentId !== undefined ? `  remote parent ${root.parentId}` : '';
    const notes: string[] = [];
    if (entry.dropped > 0) {
      notes.push(`… ${entry.dropped} more spans of this trace not shown (over ${this.maxSpansPerTrace} waited for their root)`);
      entry.dropped = 0;
    }
    this.write(renderTree(`trace ${root.traceId}${where}  ${countOf(taken)}${remote}`, [tree], this.color, notes));
  }

  /** Prints the least recently active trace as it is, marked incomplete, and forgets it. */
  private evict(): void {
    const [traceId, entry] = this.traces.entries().next().value as [string, TraceEntry];
    this.traces.delete(traceId);
    const { pending } = entry;
    this.buffered -= pending.length;
    if (pending.length === 0) return;
    const ids = new Set(pending.map((s) => s.spanId));
    const children = byParent(pending);
    const taken = new Set<DevSpan>();
    const roots: SpanTree[] = [];
    // Spans whose parent is not waiting here first; then any left over (ids that form a cycle), each once.
    for (const span of [...pending.filter((s) => !ids.has(s.parentId!)), ...pending]) {
      if (!taken.has(span)) roots.push(growTree(span, children, taken));
    }
    const heading =
      `trace ${traceId}  incomplete: ${pending.length} spans whose root had not finished ` +
      `(over ${this.maxOpenTraces} traces or ${this.maxBufferedSpans} spans open)`;
    const notes = entry.dropped > 0 ? [`… ${entry.dropped} more spans of this trace not shown`] : [];
    this.write(renderTree(heading, roots, this.color, notes));
  }

  private write(text: string): void {
    try {
      this.stream.write(text);
    } catch (error) {
      reportFault('consoleTree.write', error);
    }
  }
}

function byParent(spans: readonly DevSpan[]): Map<string | undefined, DevSpan[]> {
  const children = new Map<string | undefined, DevSpan[]>();
  for (const span of spans) {
    const siblings = children.get(span.parentId);
    if (siblings === undefined) children.set(span.parentId, [span]);
    else siblings.push(span);
  }
  return children;
}

/** `root` and the spans below it, breadth first; each span is taken once, so ids that form a cycle end. */
function growTree(root: DevSpan, children: Map<string | undefined, DevSpan[]>, taken: Set<DevSpan>): SpanTree {
  const tree: SpanTree = { span: root, children: [] };
  taken.add(root);
  const queue = [tree];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    for (const child of children.get(node.span.spanId) ?? []) {
      if (taken.has(child)) continue;
      taken.add(child);
      const childNode: SpanTree = { span: child, children: [] };
      node.children.push(childNode);
      queue.push(childNode);
    }
  }
  return tree;
}

function countOf(spans: ReadonlySet<DevSpan>): string {
  let errors = 0;
  for (const span of spans) if (span.error) errors++;
  const text = `${spans.size} ${spans.size === 1 ? 'span' : 'spans'}`;
  return errors === 0 ? text : `${text}  ${errors} ${errors === 1 ? 'error' : 'errors'}`;
}

/** A `DevTracer` that prints each finished trace as a tree on `stream` (default stderr). */
export function createConsoleTracer(options: ConsoleTracerOptions = {}): DevTracer {
  const tracer = new DevTracer(options);
  tracer.onFinish(new ConsoleTree(options).add);
  return tracer;
}
