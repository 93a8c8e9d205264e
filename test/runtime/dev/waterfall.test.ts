/**
 * The waterfall page as text: traces and rows in order, bar geometry, escaping of hostile records, the
 * Content-Security-Policy pinning its one script. The page in a real browser is tested in test/cli/view.test.ts.
 */
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSpanRecord, type SpanRecord } from '../../../src/runtime/dev/span-record';
import { renderWaterfall } from '../../../src/runtime/dev/waterfall';

const T0 = 1_700_000_000_000;
let next = 1;
function span(traceId: string, name: string, parent: SpanRecord | null | string, start: number, duration: number, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId,
    spanId: (next++).toString(16).padStart(16, '0'),
    parentId: typeof parent === 'string' ? parent : (parent?.spanId ?? null),
    name,
    start: T0 + start,
    duration,
    tags: {},
    logs: [],
    error: false,
    ...extra,
  };
}

/** `[depth, name]` of every row, in page order. */
function rows(page: string): [number, string][] {
  return [...page.matchAll(/data-depth="(\d+)"[^>]*>\n<details><summary><span class="label">(?:<span class="mark"[^>]*>✗<\/span>)?<span class="name">([^<]*)</g)].map(
    (m) => [Number(m[1]), m[2]],
  );
}

const waterfall = suite('renderWaterfall');

waterfall('one section per trace in start order; rows depth first, children by start, with their depth', () => {
  const later = span('b'.repeat(32), 'later trace', null, 50, 5);
  const root = span('a'.repeat(32), 'root', null, 0, 10);
  const second = span('a'.repeat(32), 'second child', root, 6, 2);
  const first = span('a'.repeat(32), 'first child', root, 1, 4);
  const grandchild = span('a'.repeat(32), 'grandchild', first, 2, 1);
  const page = renderWaterfall([later, second, grandchild, first, root]);
  assert.equal([...page.matchAll(/data-trace-id="([^"]+)"/g)].map((m) => m[1]), ['a'.repeat(32), 'b'.repeat(32)]);
  assert.equal(rows(page), [[0, 'root'], [1, 'first child'], [2, 'grandchild'], [1, 'second child'], [0, 'later trace']]);
  assert.match(page, '<span id="count">2 traces · 5 spans</span>');
});

waterfall('places each bar by start and duration within its trace', () => {
  const root = span('c'.repeat(32), 'root', null, 0, 200);
  const child = span('c'.repeat(32), 'child', root, 50, 100);
  const page = renderWaterfall([root, child]);
  const bars = [...page.matchAll(/class="bar" style="left:([\d.]+)%;width:([\d.]+)%"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(bars, [[0, 100], [25, 50]]);
  assert.match(page, '<span class="dur">100 ms</span>');
});

waterfall('a span whose parent is not in the file is a root marked orphan; ids in a cycle still show once each', () => {
  const orphan = span('d'.repeat(32), 'orphan', 'ffffffffffffffff', 0, 1);
  const x = span('e'.repeat(32), 'x', '0000000000000fff', 0, 1, { spanId: '0000000000000ffe' });
  const y = span('e'.repeat(32), 'y', '0000000000000ffe', 0, 1, { spanId: '0000000000000fff' });
  const page = renderWaterfall([orphan, x, y]);
  assert.match(page, 'class="span orphan"');
  assert.match(page, '(not in this file)');
  assert.equal(rows(page).map(([, name]) => name).sort(), ['orphan', 'x', 'y']);
});

waterfall('marks failed spans and counts errors per trace and in all', () => {
  const root = span('f'.repeat(32), 'root', null, 0, 3);
  const bad = span('f'.repeat(32), 'bad', root, 1, 1, {
    error: true,
    tags: { error: true },
    logs: [{ timestamp: T0 + 1.5, fields: { event: 'error', message: 'card declined' } }],
  });
  const page = renderWaterfall([root, bad]);
  assert.match(page, '<li class="span error"');
  assert.match(page, '<span class="errors">1 error</span>');
  assert.match(page, '2 spans · 1 error');
  assert.match(page, '<span class="at">+500 µs</span>');
  assert.match(page, '<span class="v">card declined</span>');
});

waterfall('escapes every string from the records, so hostile names, tags, logs, ids and titles stay text', () => {
  const evil = '<img src=x onerror="alert(1)">\'&';
  const root = span(`${'a'.repeat(31)}"`, evil, null, 0, 1, {
    spanId: `"><script>alert(2)</script>`,
    tags: { [evil]: evil, note: '</script><script>alert(3)</script>' },
    logs: [{ timestamp: T0, fields: { [evil]: evil } }],
  });
  const page = renderWaterfall([root], { title: evil });
  assert.is(page.match(/<script/g)?.length, 1, '~> only the page script');
  assert.not.match(page, '<img');
  assert.not.match(page, 'onerror="');
  assert.match(page, '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&amp;');
  assert.not.match(page, `${'a'.repeat(31)}"`, '~> an id cannot close an attribute');
});

waterfall('allows no network access and no script but its own, pinned by hash', () => {
  const page = renderWaterfall([span('1'.repeat(32), 'a', null, 0, 1)]);
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1] ?? '';
  assert.match(policy, "default-src 'none'");
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1];
  const hash = createHash('sha256').update(script).digest('base64');
  assert.match(policy, `script-src 'sha256-${hash}'`);
  assert.not.match(page, /\s(src|href)=/, '~> nothing is loaded');
});

waterfall('an empty file gives a page that says so', () => {
  const page = renderWaterfall([], { title: 'spans.jsonl' });
  assert.match(page, 'No spans in this file.');
  assert.match(page, '<title>spans.jsonl · ts-traced</title>');
});

waterfall.run();

const check = suite('checkSpanRecord');

check('accepts a record, with or without tags and logs', () => {
  const record = span('1'.repeat(32), 'a', null, 0, 1);
  assert.is(checkSpanRecord(record), undefined);
  const { tags: _t, logs: _l, ...bare } = record;
  assert.is(checkSpanRecord(bare), undefined);
});

check('says what is wrong with anything else', () => {
  const record = span('1'.repeat(32), 'a', null, 0, 1);
  const cases: [unknown, string][] = [
    [[], 'not a JSON object'],
    [null, 'not a JSON object'],
    [{ ...record, traceId: '' }, '"traceId" is not a non-empty string'],
    [{ ...record, spanId: 7 }, '"spanId" is not a non-empty string'],
    [{ ...record, parentId: 7 }, '"parentId" is not a string or null'],
    [{ ...record, start: '1' }, '"start" is not a number'],
    [{ ...record, duration: null }, '"duration" is not a number'],
    [{ ...record, tags: [] }, '"tags" is not an object'],
    [{ ...record, logs: {} }, '"logs" is not a list'],
  ];
  for (const [value, message] of cases) assert.is(checkSpanRecord(value), message, `~> ${JSON.stringify(value)}`);
});

check.run();
