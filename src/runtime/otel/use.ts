/**
 * `useOpenTelemetry()`: spans of instrumented code become OpenTelemetry spans, through the OpenTracing shim, on
 * the app's TracerProvider (or one made here from exporters), in one context with OTel's own spans
 * (context-bridge.ts) and with strict header propagation (propagator.ts).
 */
import {
  context,
  propagation,
  ProxyTracerProvider,
  trace,
  type Span as OtelSpan,
  type TextMapPropagator,
  type TracerProvider,
} from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Span, Tracer } from 'opentracing';
import { setActiveSpanProvider } from '../scope';
import { setTracer, getTracer } from '../tracer';
import { BridgeTracer, ScopeContextManager, SpanShim, type ShimSpan } from './context-bridge';
import { PROPAGATOR_NAMES, type PropagatorName } from './names';
import { StrictPropagator } from './propagator';

export interface OpenTelemetryOptions {
  /**
   * Where spans go. Default: a provider made here when `exporter` or `spanProcessors` is given (and registered
   * as the global one, so `trace.getTracer()` in app code uses it too), else the global provider.
   */
  readonly tracerProvider?: TracerProvider;
  /** `service.name` of a provider made here. Default: `OTEL_SERVICE_NAME`, else OTel's `unknown_service:node`. */
  readonly serviceName?: string;
  /** Exporters for a provider made here, each behind a BatchSpanProcessor. */
  readonly exporter?: SpanExporter | readonly SpanExporter[];
  /** Span processors for a provider made here (with `exporter`'s, after them). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Sampler of a provider made here. Default: OTel's (parent-based always-on, or `OTEL_TRACES_SAMPLER`). */
  readonly sampler?: Sampler;
  /**
   * Header formats, as `OTEL_PROPAGATORS` names them (`tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`), or a
   * propagator of your own. Registered as OTel's global propagator. Default: the global propagator if the app
   * registered one, else strict `tracecontext` + `baggage` (registered).
   */
  readonly propagation?: readonly PropagatorName[] | TextMapPropagator;
  /**
   * Register the context manager that makes ts-traced's active span and OTel's active context one (replacing one
   * already registered, such as the SDK's). Default: true. With `false` the registered manager stays: a traced
   * function called inside an OTel span is still its child, but OTel spans started inside a traced function do
   * not see it.
   */
  readonly contextManager?: boolean;
}

export interface OpenTelemetryBridge {
  /** The OpenTracing tracer instrumented code now records to (already set with `setTracer`). */
  readonly tracer: Tracer;
  readonly tracerProvider: TracerProvider;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Flushes, stops recording, and shuts down a provider made here. */
  shutdown(): Promise<void>;
}

interface SdkProvider extends TracerProvider {
  forceFlush?(): Promise<void>;
  shutdown?(): Promise<void>;
}

/** Sends the spans of instrumented code to OpenTelemetry. Call it once, before traced code runs. */
export function useOpenTelemetry(options: OpenTelemetryOptions = {}): OpenTelemetryBridge {
  const made = options.tracerProvider === undefined ? makeProvider(options) : undefined;
  // Refused when another provider is already global: app code using `trace.getTracer()` keeps writing to that one.
  if (made !== undefined) trace.setGlobalTracerProvider(made);
  const tracerProvider = options.tracerProvider ?? made ?? trace.getTracerProvider();
  const propagator = choosePropagator(options.propagation);
  const tracer = new BridgeTracer(
    tracerProvider.getTracer('ts-traced'),
    propagator === undefined ? undefined : { textMapPropagator: propagator, httpHeadersPropagator: propagator },
  );
  if (options.contextManager === false) setActiveSpanProvider(activeOtelSpan(tracer));
  else registerContextManager(new ScopeContextManager(tracer));
  setTracer(tracer);

  const sdk = (): SdkProvider =>
    tracerProvider instanceof ProxyTracerProvider ? tracerProvider.getDelegate() : (tracerProvider as SdkProvider);
  const forceFlush = async () => {
    await sdk().forceFlush?.();
  };
  return {
    tracer,
    tracerProvider,
    forceFlush,
    async shutdown() {
      await forceFlush();
      if (getTracer() === tracer) setTracer(undefined);
      if (made !== undefined) await made.shutdown();
    },
  };
}

function makeProvider(options: OpenTelemetryOptions): BasicTracerProvider | undefined {
  const exporters = options.exporter === undefined ? [] : ([] as SpanExporter[]).concat(options.exporter);
  const spanProcessors = [...exporters.map((e) => new BatchSpanProcessor(e)), ...(options.spanProcessors ?? [])];
  if (spanProcessors.length === 0) return undefined;
  let resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
  if (options.serviceName) resource = resource.merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }));
  return new BasicTracerProvider({ resource, sampler: options.sampler, spanProcessors });
}

/** The propagator the shim uses; `undefined` means the global one the app registered. */
function choosePropagator(option: OpenTelemetryOptions['propagation']): TextMapPropagator | undefined {
  let propagator: TextMapPropagator;
  if (option === undefined) {
    if (propagation.fields().length > 0) return undefined;
    propagator = new StrictPropagator();
  } else if (Array.isArray(option)) {
    const unknown = option.filter((n) => !PROPAGATOR_NAMES.includes(n));
    if (unknown.length > 0) {
      throw new TypeError(`ts-traced: unknown propagation ${unknown.join(', ')}; expected some of ${PROPAGATOR_NAMES.join(', ')}`);
    }
    propagator = new StrictPropagator(option);
  } else {
    propagator = option as TextMapPropagator;
  }
  if (!propagation.setGlobalPropagator(propagator)) {
    propagation.disable();
    propagation.setGlobalPropagator(propagator);
  }
  return propagator;
}

function registerContextManager(manager: ScopeContextManager): void {
  manager.enable();
  if (context.setGlobalContextManager(manager)) return;
  context.disable();
  context.setGlobalContextManager(manager);
}

/** Without the bridge's context manager: the active OTel span, as a shim span (one per OTel span). */
function activeOtelSpan(tracer: BridgeTracer): () => Span | undefined {
  const shims = new WeakMap<OtelSpan, ShimSpan>();
  return () => {
    const span = trace.getActiveSpan();
    if (span === undefined) return undefined;
    let shim = shims.get(span);
    if (shim === undefined) {
      shim = new SpanShim(tracer, span, propagation.getActiveBaggage() ?? propagation.createBaggage());
      shims.set(span, shim);
    }
    return shim;
  };
}
