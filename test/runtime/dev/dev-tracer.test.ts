/**
 * The development tracer: span structure, ids, parents, tags, logs, baggage, times, finish-once, listeners,
 * and propagation through the real W3C formatter and parser.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import opentracing = require('opentracing');
import { DevTracer } from '../../../src/runtime/dev/dev-tracer';
import { DevSpan, DevSpanContext } from '../../../src/runtime/dev/span';
import { FAULT_WARNING_CODE, faultCounts, resetFaults } from '../../../src/runtime/safe';
import { setTracer } from '../../../src/runtime/tracer';
import { traced } from '../../../src/runtime/traced';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** Finished spans of `tracer`, in finish order. */
function collect(tracer: DevTracer): DevSpan[] {
  const spans: DevSpan[] = [];
  tracer.onFinish((span) => spans.push(span));
  return spans;
}

const structure = suite('DevTracer');

structure('a root span has a new 32-hex trace id and a 16-hex span id, and no parent', () => {
  const tracer = new DevTracer();
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  assert.ok(a instanceof opentracing.Span, '~> spans are OpenTracing spans');
  assert.ok(a.context() instanceof opentracing.SpanContext, '~> contexts are OpenTracing contexts');
  assert.match(a.context().toTraceId(), TRACE_ID);
  assert.match(a.context().toSpanId(), SPAN_ID);
  assert.is.not(a.traceId, b.traceId, '~> two roots are two traces');
  assert.is(a.parentId, undefined);
  assert.is(a.parentIsLocal, false, '~> a root is a local root');
  assert.is(a.tracer(), tracer);
});

structure('children share the trace, name their parent and get their own span id, however the parent is given', () => {
  const tracer = new DevTracer();
  const root = tracer.startSpan('root');
  const children = [
    tracer.startSpan('span', { childOf: root }),
    tracer.startSpan('context', { childOf: root.context() }),
    tracer.startSpan('reference', { references: [opentracing.childOf(root)] }),
    tracer.startSpan('follows', { references: [opentracing.followsFrom(root.context())] }),
    opentracing.Tracer.prototype.startSpan.call(tracer, 'base class path', { childOf: root }) as DevSpan,
  ];
  for (const child of children) {
    assert.is(child.traceId, root.traceId, `~> ${child.name}: same trace`);
    assert.is(child.parentId, root.spanId, `~> ${child.name}: parent id`);
    assert.is(child.parentIsLocal, true, `~> ${child.name}: local parent`);
    assert.is.not(child.spanId, root.spanId);
  }
  assert.is(new Set(children.map((c) => c.spanId)).size, children.length, '~> span ids are distinct');
});

structure('childOf wins over followsFrom when both are referenced', () => {
  const tracer = new DevTracer();
  const a = tracer.startSpan('a');
  const b = tracer.startSpan('b');
  const child = tracer.startSpan('c', { references: [opentracing.followsFrom(a), opentracing.childOf(b)] });
  assert.is(child.parentId, b.spanId);
});

structure("another tracer's parent is adopted as remote when its ids are usable, else a new trace starts", () => {
  const tracer = new DevTracer();
  class Foreign extends opentracing.SpanContext {
    constructor(private readonly trace: () => string, private readonly span: () => string) {
      super();
    }
    override toTraceId() {
      return this.trace();
    }
    override toSpanId() {
      return this.span();
    }
  }
  const jaeger = tracer.startSpan('j', { childOf: new Foreign(() => '463ac35c9f6413ad', () => 'e457b5a2e4d86bd1') });
  assert.is(jaeger.traceId, '0000000000000000463ac35c9f6413ad', '~> a 64-bit trace id is left-padded');
  assert.is(jaeger.parentId, 'e457b5a2e4d86bd1');
  assert.is(jaeger.parentIsLocal, false, '~> a foreign parent is remote: this span is a local root');
  const garbage = tracer.startSpan('g', { childOf: new Foreign(() => 'nope', () => 'e457b5a2e4d86bd1') });
  assert.is(garbage.parentId, undefined, '~> unusable ids: new trace');
  const hostile = tracer.startSpan('h', {
    childOf: new Foreign(() => {
      throw new Error('hostile');
    }, () => ''),
  });
  assert.is(hostile.parentId, undefined, '~> a throwing context: new trace, no throw');
  assert.is(tracer.startSpan('m', { childOf: new opentracing.MockTracer().startSpan('x') }).parentId, undefined);
});

structure('start tags belong to the caller: shared until the first write, never changed', () => {
  const tracer = new DevTracer();
  const siteTags = Object.freeze({ 'code.function': 'f', component: 'billing' });
  const a = tracer.startSpan('a', { tags: siteTags });
  const b = tracer.startSpan('b', { tags: siteTags });
  a.setTag('error', true).addTags({ 'http.status_code': 500 });
  assert.equal({ ...a.tags }, { 'code.function': 'f', component: 'billing', error: true, 'http.status_code': 500 });
  assert.equal({ ...b.tags }, { 'code.function': 'f', component: 'billing' }, '~> the other span is untouched');
  assert.equal({ ...siteTags }, { 'code.function': 'f', component: 'billing' }, "~> the caller's object is untouched");
  assert.is(a.error, true);
  assert.is(b.error, false);
});

structure('a tag or baggage key named __proto__ is data, not a prototype', () => {
  const tracer = new DevTracer();
  const span = tracer.startSpan('p');
  span.setTag('__proto__', 'x');
  span.setBaggageItem('__proto__', 'y');
  assert.is(Object.getOwnPropertyDescriptor(span.tags, '__proto__')?.value, 'x');
  assert.is(span.getBaggageItem('__proto__'), 'y');
  assert.is(span.getBaggageItem('toString'), undefined, '~> inherited names are not baggage');
  assert.is(({} as Record<string, unknown>).x, undefined);
});

structure('logs keep their fields and a timestamp (given, or now)', () => {
  const tracer = new DevTracer();
  const span = tracer.startSpan('l');
  const before = performance.timeOrigin + performance.now();
  span.log({ event: 'cache.miss', key: 'k' });
  span.log({ event: 'retry' }, 1234.5);
  assert.equal(span.logs.map((l) => l.fields), [{ event: 'cache.miss', key: 'k' }, { event: 'retry' }]);
  assert.ok(span.logs[0].timestamp >= before && span.logs[0].timestamp <= performance.timeOrigin + performance.now());
  assert.is(span.logs[1].timestamp, 1234.5);
});

structure('start and duration are epoch milliseconds with sub-millisecond precision; explicit times are honoured', () => {
  const tracer = new DevTracer();
  const before = performance.timeOrigin + performance.now();
  const span = tracer.startSpan('t');
  span.finish();
  const after = performance.timeOrigin + performance.now();
  assert.ok(span.start >= before && span.start <= after, '~> start within the call');
  assert.ok(span.duration >= 0 && span.duration < after - before + 1e-6, '~> duration within the call');
  assert.ok(span.duration < 1, '~> an empty span lasts less than a millisecond, not 0 or 1 rounded');
  const explicit = tracer.startSpan('e', { startTime: 1_700_000_000_000.25 });
  explicit.finish(1_700_000_000_002.75);
  assert.ok(Math.abs(explicit.start - 1_700_000_000_000.25) < 0.001);
  assert.ok(Math.abs(explicit.duration - 2.5) < 0.001);
});

structure('baggage reaches children started after it is set, not the parent or earlier children', () => {
  const tracer = new DevTracer();
  const root = tracer.startSpan('root');
  const early = tracer.startSpan('early', { childOf: root });
  root.setBaggageItem('tenant', 'acme');
  const child = tracer.startSpan('child', { childOf: root });
  child.setBaggageItem('step', '2');
  const grandchild = tracer.startSpan('grandchild', { childOf: child });
  assert.is(child.getBaggageItem('tenant'), 'acme');
  assert.is(grandchild.getBaggageItem('tenant'), 'acme', '~> inherited through two levels');
  assert.is(grandchild.getBaggageItem('step'), '2');
  assert.is(root.getBaggageItem('step'), undefined, "~> a child's item does not flow up");
  assert.is(early.getBaggageItem('tenant'), undefined, '~> set after the child started');
});

structure('finish counts every call but reports and times the span once', () => {
  const tracer = new DevTracer();
  const finished = collect(tracer);
  const span = tracer.startSpan('once');
  span.finish();
  const end = span.endedAt;
  span.finish();
  span.finish(Date.now() + 1000);
  assert.is(span.finishCount, 3);
  assert.is(finished.length, 1, '~> listeners saw it once');
  assert.is(span.endedAt, end, '~> the end time is the first one');
});

structure('listeners see each finished span in order; removing one stops it', () => {
  const tracer = new DevTracer();
  const seen: string[] = [];
  tracer.onFinish((s) => seen.push(`1:${s.name}`));
  const remove = tracer.onFinish((s) => seen.push(`2:${s.name}`));
  tracer.startSpan('a').finish();
  remove();
  tracer.startSpan('b').finish();
  assert.equal(seen, ['1:a', '2:a', '1:b']);
});

structure('a throwing listener is reported once, never reaches the caller, and the other listeners still run', async () => {
  resetFaults();
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === FAULT_WARNING_CODE && w.message.includes('devTracer.onFinish')) warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const tracer = new DevTracer();
  tracer.onFinish(() => {
    throw new Error('listener bug');
  });
  const after = collect(tracer);
  for (let i = 0; i < 3; i++) tracer.startSpan(`s${i}`).finish();
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.is(after.length, 3, '~> the next listener got every span');
  assert.is(faultCounts()['devTracer.onFinish'], 3, '~> every fault counted');
  assert.is(warnings.length, 1, '~> reported once');
  assert.match(warnings[0], 'listener bug');
});

structure('records the spans of traced functions as the runtime tracer, nested by the active span', async () => {
  const tracer = new DevTracer();
  const finished = collect(tracer);
  setTracer(tracer);
  const inner = traced({ name: 'inner' })(async (x: number) => x * 2);
  const outer = traced({ name: 'outer' })(async (x: number) => (await inner(x)) + 1);
  assert.is(await outer(2), 5);
  setTracer(undefined);
  const [i, o] = finished;
  assert.equal(finished.map((s) => s.name), ['inner', 'outer']);
  assert.is(i.parentId, o.spanId);
  assert.is(i.traceId, o.traceId);
  assert.is(i.finishCount + o.finishCount, 2);
});

structure.run();

const propagation = suite('DevTracer inject/extract');
const T = '0af7651916cd43dd8448eb211c80319c';
const P = 'b7ad6b7169203331';

propagation('inject writes a W3C traceparent; extract reads it back as the remote parent of the next span', () => {
  const client = new DevTracer();
  const span = client.startSpan('call');
  const headers: Record<string, string> = {};
  client.inject(span, opentracing.FORMAT_HTTP_HEADERS, headers);
  assert.is(headers.traceparent, `00-${span.traceId}-${span.spanId}-03`, '~> sampled, random trace id');
  const server = new DevTracer();
  const parent = server.extract(opentracing.FORMAT_HTTP_HEADERS, headers);
  assert.ok(parent instanceof DevSpanContext);
  const handled = server.startSpan('handle', { childOf: parent! });
  assert.is(handled.traceId, span.traceId);
  assert.is(handled.parentId, span.spanId);
  assert.is(handled.parentIsLocal, false, '~> the server span is a local root');
  const map: Record<string, string> = {};
  client.inject(span.context(), opentracing.FORMAT_TEXT_MAP, map);
  assert.is(map.traceparent, headers.traceparent, '~> text maps too');
});

propagation('a sampled-out incoming context is still recorded, and its flag is forwarded', () => {
  const tracer = new DevTracer();
  const finished = collect(tracer);
  const parent = tracer.extract(opentracing.FORMAT_HTTP_HEADERS, { traceparent: `00-${T}-${P}-00` });
  const span = tracer.startSpan('server', { childOf: parent! });
  const child = tracer.startSpan('client', { childOf: span });
  child.finish();
  span.finish();
  assert.is(finished.length, 2, '~> recorded');
  const out: Record<string, string> = {};
  tracer.inject(child, opentracing.FORMAT_HTTP_HEADERS, out);
  assert.is(out.traceparent, `00-${T}-${child.spanId}-00`, '~> not sampled downstream either');
});

propagation('tracestate is forwarded to children and outgoing calls', () => {
  const tracer = new DevTracer();
  const parent = tracer.extract(opentracing.FORMAT_HTTP_HEADERS, { traceparent: `00-${T}-${P}-01`, tracestate: 'rojo=00f067aa0ba902b7' });
  const child = tracer.startSpan('c', { childOf: tracer.startSpan('s', { childOf: parent! }) });
  const out: Record<string, string> = {};
  tracer.inject(child, opentracing.FORMAT_HTTP_HEADERS, out);
  assert.is(out.tracestate, 'rojo=00f067aa0ba902b7');
});

propagation('missing or malformed headers extract to null, and the next span starts a new trace', () => {
  const tracer = new DevTracer();
  for (const carrier of [{}, { traceparent: 'garbage' }, { traceparent: `00-${T.toUpperCase()}-${P}-01` }, null, 42]) {
    const parent = tracer.extract(opentracing.FORMAT_HTTP_HEADERS, carrier);
    assert.is(parent, null, `~> ${JSON.stringify(carrier)}`);
    assert.is(tracer.startSpan('x', parent ? { childOf: parent } : {}).parentId, undefined);
  }
});

propagation('the binary format and unusable carriers are ignored without throwing', () => {
  const tracer = new DevTracer();
  const span = tracer.startSpan('x');
  const binary = { buffer: new ArrayBuffer(0) };
  tracer.inject(span, opentracing.FORMAT_BINARY, binary);
  assert.equal(Object.keys(binary), ['buffer']);
  assert.is(tracer.extract(opentracing.FORMAT_BINARY, binary), null);
  tracer.inject(span, opentracing.FORMAT_HTTP_HEADERS, null);
  tracer.inject(span, opentracing.FORMAT_HTTP_HEADERS, Object.freeze({}));
});

propagation('baggage travels with the context: inject writes it, extract hands it to the spans that follow', () => {
  const client = new DevTracer();
  const span = client.startSpan('call');
  span.setBaggageItem('tenant', 'acme corp');
  const headers: Record<string, string> = {};
  client.inject(span, opentracing.FORMAT_HTTP_HEADERS, headers);
  assert.ok(headers.baggage?.includes('tenant='), '~> a W3C baggage header');
  const server = new DevTracer();
  const handled = server.startSpan('handle', { childOf: server.extract(opentracing.FORMAT_HTTP_HEADERS, headers)! });
  const downstream = server.startSpan('downstream', { childOf: handled });
  assert.is(handled.getBaggageItem('tenant'), 'acme corp');
  assert.is(downstream.getBaggageItem('tenant'), 'acme corp', '~> and to their children');
});

propagation('the formats option chooses what is written and read', () => {
  const b3only = new DevTracer({ propagation: ['b3'] });
  assert.equal(b3only.propagation, ['b3']);
  assert.is(b3only.extract(opentracing.FORMAT_HTTP_HEADERS, { traceparent: `00-${T}-${P}-01` }), null, '~> w3c not read');
  const span = b3only.startSpan('x', { childOf: b3only.extract(opentracing.FORMAT_HTTP_HEADERS, { b3: `${T}-${P}-1` })! });
  assert.is(span.traceId, T, '~> b3 read');
  assert.is(span.parentId, P);
  const out: Record<string, string> = {};
  b3only.inject(span, opentracing.FORMAT_HTTP_HEADERS, out);
  assert.equal(Object.keys(out), ['b3'], '~> only b3 written');
  assert.match(out.b3, `${T}-${span.spanId}-1`);
  assert.equal(new DevTracer().propagation, ['w3c'], '~> w3c by default');
});

propagation.run();
