/**
 * Renders finished spans as an indented tree, one line per span: the name, the duration in an aligned column,
 * then a few telling tags and, for a failed span, `✗` and its error message.
 *
 * ```
 * trace 4bf92f3577b34da6a3ce929d0e0e4736  4 spans  1 error
 * GET /orders             12.4 ms  http.method=GET http.url=/orders
 * ├─ Orders.place         10.1 ms
 * │  ├─ pg.query          2.30 ms  db.statement="SELECT 1"
 * │  └─ ✗ Billing.charge  5.00 ms  error: card declined
 * └─ redis.get             320 µs
 * ```
 */
import { TAG } from '../tags';
import { describeValue, errorMessage, formatDuration, toPrintable, truncate } from './format';
import type { DevSpan } from './span';

/** Tags worth a glance, in the order shown; besides these only `arg.*` tags (which the user chose to record). */
const SHOWN_TAGS = ['http.method', 'http.url', 'http.status_code', 'db.statement', 'message_bus.destination', 'peer.service'];
const MAX_NAME = 60;
const MAX_VALUE = 60;
const MAX_ERROR = 120;

export interface SpanTree {
  readonly span: DevSpan;
  readonly children: SpanTree[];
}

const ANSI = { dim: ['\x1b[2m', '\x1b[22m'], bold: ['\x1b[1m', '\x1b[22m'], red: ['\x1b[31m', '\x1b[39m'] } as const;
type Paint = (style: keyof typeof ANSI, text: string) => string;
const paintWith: Paint = (style, text) => (text === '' ? text : ANSI[style][0] + text + ANSI[style][1]);
const plain: Paint = (_style, text) => text;

interface Line {
  readonly guide: string;
  readonly name: string;
  readonly span: DevSpan;
  readonly root: boolean;
}

/** The heading line, then one line per span of `roots` and their descendants, then `notes`, each ending in `\n`. */
export function renderTree(heading: string, roots: readonly SpanTree[], color: boolean, notes: readonly string[] = []): string {
  const paint = color ? paintWith : plain;
  const lines = flatten(roots);
  const labelWidth = Math.max(0, ...lines.map((l) => l.guide.length + l.name.length));
  const durations = lines.map((l) => formatDuration(l.span.duration));
  const durationWidth = Math.max(0, ...durations.map((d) => d.length));
  let out = paint('dim', heading) + '\n';
  lines.forEach((line, i) => {
    const error = line.span.error;
    const pad = ' '.repeat(labelWidth - line.guide.length - line.name.length);
    const name = error ? paint('red', line.name) : line.root ? paint('bold', line.name) : line.name;
    const extras = describeTags(line.span, paint);
    out += `${paint('dim', line.guide)}${name}${pad}  ${durations[i].padStart(durationWidth)}`;
    out += extras === '' ? '\n' : `  ${extras}\n`;
  });
  for (const note of notes) out += paint('dim', note) + '\n';
  return out;
}

/** Depth-first, children in start order, without recursion (a deep recursive function makes a deep trace). */
function flatten(roots: readonly SpanTree[]): Line[] {
  const lines: Line[] = [];
  const stack: { node: SpanTree; guide: string; childGuide: string; root: boolean }[] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push({ node: roots[i], guide: '', childGuide: '', root: true });
  while (stack.length > 0) {
    const { node, guide, childGuide, root } = stack.pop()!;
    const mark = node.span.error ? '✗ ' : '';
    lines.push({ guide, name: mark + truncate(toPrintable(describeValue(node.span.name)), MAX_NAME), span: node.span, root });
    const children = [...node.children].sort((a, b) => a.span.startedAt - b.span.startedAt);
    for (let i = children.length - 1; i >= 0; i--) {
      const last = i === children.length - 1;
      stack.push({
        node: children[i],
        guide: childGuide + (last ? '└─ ' : '├─ '),
        childGuide: childGuide + (last ? '   ' : '│  '),
        root: false,
      });
    }
  }
  return lines;
}

function describeTags(span: DevSpan, paint: Paint): string {
  const tags = span.tags;
  const parts: string[] = [];
  for (const key of SHOWN_TAGS) if (tags[key] !== undefined) parts.push(`${key}=${tagText(tags[key])}`);
  for (const key of Object.keys(tags)) if (key.startsWith(TAG.argPrefix)) parts.push(`${toPrintable(key)}=${tagText(tags[key])}`);
  let text = paint('dim', parts.join(' '));
  if (span.error) {
    const message = errorMessage(span.logs);
    const error = message === undefined ? 'error' : `error: ${truncate(toPrintable(message), MAX_ERROR)}`;
    text = text === '' ? paint('red', error) : `${text} ${paint('red', error)}`;
  }
  return text;
}

/** Short and on one line; quoted when empty or holding a space or a quote, so `k=v` pairs stay apart. */
function tagText(value: unknown): string {
  const text = truncate(toPrintable(describeValue(value)), MAX_VALUE);
  return text === '' || /[\s"]/.test(text) ? JSON.stringify(text) : text;
}
