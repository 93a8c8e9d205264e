/**
 * The console tree: exact text for a known trace, error marks, continuations, chosen tags, colours, and the
 * bounds that keep its memory flat whatever the app does.
 */
import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsoleTree, createConsoleTracer } from '../../../src/runtime/dev/console-tree';
import { DevTracer } from '../../../src/runtime/dev/dev-tracer';
import { formatDuration } from '../../../src/runtime/dev/format';
import type { DevSpan } from '../../../src/runtime/dev/span';

/** A real Writable that keeps what it is given; `isTTY` as asked. */
function capture(isTTY = false) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY?: boolean };
  if (isTTY) stream.isTTY = true;
  return { stream, text: () => chunks.join(''), writes: () => chunks.length };
}

/** A tracer printing to a captured stream; `at(ms)` is a fixed origin plus `ms`, for exact durations. */
function setup(options: ConstructorParameters<typeof ConsoleTree>[0] = {}) {
  const out = capture();
  const tracer = new DevTracer();
  const tree = new ConsoleTree({ stream: out.stream, ...options });
  tracer.onFinish(tree.add);
  const origin = 1_700_000_000_000;
  const at = (ms: number) => origin + ms;
  return { tracer, tree, out, at };
}

/** The trace of an order request: a nested failure, a database statement over several lines. */
function orderTrace(tracer: DevTracer, at: (ms: number) => number) {
  const root = tracer.startSpan('GET /orders', {
    startTime: at(0),
    tags: { 'http.method': 'GET', 'http.url': '/orders/7', 'code.filepath': 'src/routes.ts' },
  });
  const place = tracer.startSpan('Orders.place', { childOf: root, startTime: at(0.4) });
  const query = tracer.startSpan('pg.query', {
    childOf: place,
    startTime: at(0.6),
    tags: { 'db.statement': 'SELECT *\n  FROM orders\n WHERE id = $1' },
  });
  const charge = tracer.startSpan('Billing.charge', { childOf: place, startTime: at(3.1), tags: { 'arg.invoiceId': 'inv-7' } });
  const redis = tracer.startSpan('redis.get', { childOf: root, startTime: at(9.2) });
  return { root, place, query, charge, redis };
}

function fail(span: DevSpan, message: string) {
  span.setTag('error', true);
  span.log({ event: 'error', message, 'error.object': new Error(message) });
}

const tree = suite('ConsoleTree');

tree('prints a trace as an indented tree, with aligned durations and chosen tags, when its local root finishes', () => {
  const { tracer, out, at } = setup();
  const { root, place, query, charge, redis } = orderTrace(tracer, at);
  query.finish(at(2.9));
  fail(charge, 'card declined');
  charge.finish(at(8));
  place.finish(at(9));
  redis.finish(at(9.5));
  assert.is(out.text(), '', '~> nothing before the root finishes');
  root.setTag('http.status_code', 500);
  root.finish(at(10.2));
  assert.is(
    out.text(),
    `trace ${root.traceId}  5 spans  1 error
GET /orders             10.2 ms  http.method=GET http.url=/orders/7 http.status_code=500
├─ Orders.place         8.60 ms
│  ├─ pg.query          2.30 ms  db.statement="SELECT * FROM orders WHERE id = $1"
│  └─ ✗ Billing.charge  4.90 ms  arg.invoiceId=inv-7 error: card declined
└─ redis.get             300 µs
`,
  );
  assert.is(out.writes(), 1, '~> one write per trace, so concurrent output does not interleave inside a tree');
});

tree('a failed span without a message is still marked, and the heading counts errors', () => {
  const { tracer, out, at } = setup();
  const root = tracer.startSpan('job', { startTime: at(0) });
  const step = tracer.startSpan('step', { childOf: root, startTime: at(1) });
  step.setTag('error', true);
  step.finish(at(2));
  fail(root, 'boom\nsecond line');
  root.finish(at(3));
  assert.is(
    out.text(),
    `trace ${root.traceId}  2 spans  2 errors
✗ job      3.00 ms  error: boom second line
└─ ✗ step  1.00 ms  error
`,
  );
});

tree("a span that finishes after its root is printed as a continuation under its parent's name", () => {
  const { tracer, out, at } = setup();
  const root = tracer.startSpan('GET /report', { startTime: at(0) });
  const background = tracer.startSpan('Report.render', { childOf: root, startTime: at(1) });
  const write = tracer.startSpan('fs.write', { childOf: background, startTime: at(20) });
  root.finish(at(2));
  const before = out.text();
  write.finish(at(25));
  assert.is(out.text(), before, '~> a late child waits for its own parent');
  background.finish(at(30));
  assert.is(
    out.text().slice(before.length),
    `trace ${root.traceId}  continued under GET /report  2 spans
Report.render  29.0 ms
└─ fs.write    5.00 ms
`,
  );
});

tree('a span whose parent came from another process is a local root, and the heading names the parent', () => {
  const { tracer, out, at } = setup();
  const parent = tracer.extract('http_headers', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  tracer.startSpan('POST /pay', { childOf: parent!, startTime: at(0) }).finish(at(1.5));
  assert.is(
    out.text(),
    'trace 0af7651916cd43dd8448eb211c80319c  1 span  remote parent b7ad6b7169203331\nPOST /pay  1.50 ms\n',
  );
});

tree('shows only the chosen tags (never other values), bounded and on one line; control characters cannot reach the terminal', () => {
  const { tracer, out, at } = setup();
  tracer
    .startSpan('evil\x1b[2J\u202ename', {
      startTime: at(0),
      tags: { 'user.email': 'alice@example.com', 'http.url': `/search?q=${'x'.repeat(100)}`, 'db.statement': 'a\r\nb' },
    })
    .finish(at(1));
  const text = out.text();
  assert.not.match(text, 'alice@example.com', '~> a tag that is not on the list stays out');
  assert.not.match(text, '\x1b', '~> no escape sequence from a span name');
  assert.not.match(text, '\u202e', '~> no bidirectional override');
  assert.match(text, 'evil\ufffd[2J\ufffdname');
  assert.match(text, `http.url=/search?q=${'x'.repeat(49)}…`, '~> values cut at 60 characters');
  assert.match(text, 'db.statement="a b"');
});

tree('colours only when the stream is a TTY and NO_COLOR is unset or empty, unless told', () => {
  const saved = process.env.NO_COLOR;
  const printed = (isTTY: boolean, noColor: string | undefined, color?: boolean) => {
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
    const out = capture(isTTY);
    const tracer = createConsoleTracer({ stream: out.stream, color });
    tracer.startSpan('x').finish();
    return out.text();
  };
  try {
    assert.match(printed(true, undefined), '\x1b[', '~> TTY');
    assert.match(printed(true, ''), '\x1b[', '~> TTY, NO_COLOR empty');
    assert.not.match(printed(true, '1'), '\x1b[', '~> TTY, NO_COLOR=1');
    assert.not.match(printed(false, undefined), '\x1b[', '~> not a TTY');
    assert.match(printed(false, '1', true), '\x1b[', '~> color: true');
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
});

tree('remembers at most maxOpenTraces traces: the least recently active one is printed as incomplete', () => {
  const { tracer, tree: reporter, out } = setup({ maxOpenTraces: 10 });
  const roots: DevSpan[] = [];
  let most = 0;
  for (let i = 0; i < 25; i++) {
    const root = tracer.startSpan(`request ${i}`);
    roots.push(root);
    tracer.startSpan('work', { childOf: root }).finish();
    most = Math.max(most, reporter.openTraces);
  }
  assert.is(most, 10, '~> never more than the bound');
  const incomplete = out.text().split('\n').filter((l) => l.includes('incomplete'));
  assert.is(incomplete.length, 15, '~> each evicted trace said so');
  assert.ok(incomplete[0].startsWith(`trace ${roots[0].traceId}  incomplete: 1 spans`), '~> the oldest first');
  assert.match(out.text(), '\nwork  ', '~> with its spans');
});

tree('holds at most maxSpansPerTrace spans for one root; the rest are counted in a note under its tree', () => {
  const { tracer, tree: reporter, out } = setup({ maxSpansPerTrace: 100 });
  const root = tracer.startSpan('batch');
  for (let i = 0; i < 250; i++) tracer.startSpan('item', { childOf: root }).finish();
  assert.is(reporter.bufferedSpans, 100);
  root.finish();
  assert.is(reporter.bufferedSpans, 0, '~> printed and forgotten');
  const lines = out.text().trimEnd().split('\n');
  assert.is(lines[0], `trace ${root.traceId}  101 spans`);
  assert.is(lines.length, 1 + 101 + 1);
  assert.is(lines.at(-1), '… 150 more spans of this trace not shown (over 100 waited for their root)');
});

tree('holds at most maxBufferedSpans spans in all, whatever the number of traces', () => {
  const { tracer, tree: reporter } = setup({ maxBufferedSpans: 50 });
  let most = 0;
  for (let t = 0; t < 20; t++) {
    const root = tracer.startSpan('never finished');
    for (let i = 0; i < 20; i++) {
      tracer.startSpan('child', { childOf: root }).finish();
      most = Math.max(most, reporter.bufferedSpans);
    }
  }
  assert.ok(most <= 50, `~> at most 50 buffered, saw ${most}`);
});

tree('a stream whose write throws never reaches the app', () => {
  const stream = { write: () => { throw new Error('closed'); } } as unknown as NodeJS.WritableStream;
  const tracer = createConsoleTracer({ stream });
  tracer.startSpan('x').finish();
});

tree.run();

const duration = suite('formatDuration');

duration('µs below a millisecond, three significant digits in ms below a second, then seconds', () => {
  const cases: [number, string][] = [
    [0, '0 µs'],
    [0.0004, '0 µs'],
    [0.3, '300 µs'],
    [0.9994, '999 µs'],
    [0.9996, '1.00 ms'],
    [2.3, '2.30 ms'],
    [12.44, '12.4 ms'],
    [999.4, '999 ms'],
    [999.6, '1.00 s'],
    [61_000, '61.0 s'],
    [1_234_567, '1235 s'],
    [-1, '?'],
    [Number.NaN, '?'],
  ];
  for (const [ms, text] of cases) assert.is(formatDuration(ms), text, `~> ${ms}`);
});

duration.run();

const create = suite('createConsoleTracer');

create('returns a DevTracer that prints on the given stream and uses the given propagation formats', () => {
  const out = capture();
  const tracer = createConsoleTracer({ stream: out.stream, propagation: ['b3', 'w3c'] });
  assert.ok(tracer instanceof DevTracer);
  assert.equal(tracer.propagation, ['b3', 'w3c']);
  const span = tracer.startSpan('hello');
  span.finish();
  assert.match(out.text(), `trace ${span.traceId}  1 span\nhello  `);
});

create.run();
