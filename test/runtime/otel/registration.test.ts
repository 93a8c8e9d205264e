/**
 * useOpenTelemetry in an app that set OpenTelemetry up itself (NodeTracerProvider.register(): the SDK's
 * AsyncLocalStorage context manager, W3C propagator and global provider), with the bridge's context manager
 * (the default) and without it (`contextManager: false`).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { FORMAT_HTTP_HEADERS } from 'opentracing';
import { ScopeContextManager, useOpenTelemetry } from '../../../src/otel';
import { traced } from '../../../src/runtime/traced';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const app = () => trace.getTracer('app');

/** `name -> parent name` of the finished spans, from OTel's own records. */
function tree(): Record<string, string> {
  const spans = exporter.getFinishedSpans();
  const byId = new Map<string, ReadableSpan>(spans.map((s) => [s.spanContext().spanId, s]));
  return Object.fromEntries(
    spans.map((s) => [s.name, s.parentSpanContext ? (byId.get(s.parentSpanContext.spanId)?.name ?? '(remote)') : '(root)']),
  );
}

const callsOtel = traced({ name: 'traced' })(function callsOtel() {
  app().startSpan('otel-child').end();
});

const sdk = suite('useOpenTelemetry after the SDK registered itself');
sdk.before.each(() => exporter.reset());
sdk('with no options it records on the global provider and replaces the SDK\'s context manager', () => {
  const bridge = useOpenTelemetry();
  assert.ok((context as unknown as { _getContextManager(): unknown })._getContextManager() instanceof ScopeContextManager);
  app().startActiveSpan('otel-root', (span) => {
    callsOtel();
    span.end();
  });
  assert.equal(tree(), { 'otel-root': '(root)', traced: 'otel-root', 'otel-child': 'traced' });
  const headers: Record<string, string> = {};
  bridge.tracer.inject(bridge.tracer.startSpan('x').context(), FORMAT_HTTP_HEADERS, headers);
  assert.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, '~> the app\'s registered propagator is kept');
});
sdk.run();

const keep = suite('useOpenTelemetry({ contextManager: false })');
keep.before(() => {
  context.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  useOpenTelemetry({ tracerProvider: provider, contextManager: false });
});
keep.before.each(() => exporter.reset());
keep('the app\'s context manager stays; a traced function inside an OTel span is still its child', () => {
  assert.ok((context as unknown as { _getContextManager(): unknown })._getContextManager() instanceof AsyncLocalStorageContextManager);
  app().startActiveSpan('otel-root', (span) => {
    callsOtel();
    span.end();
  });
  assert.is(tree().traced, 'otel-root');
});
keep('as documented, OTel spans started inside a traced function do not see it', () => {
  callsOtel();
  assert.equal(tree(), { 'otel-child': '(root)', traced: '(root)' });
});
keep.run();
