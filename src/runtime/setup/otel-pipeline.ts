/**
 * The OpenTelemetry side of `ts-traced/setup`: exporters, sampler and span processors from a `SetupConfig`.
 * Each exporter package is loaded only when named (they are optional peer dependencies): a missing one is a
 * problem line, and the other exporters still run.
 */
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtelExporter, SetupConfig } from './env';
import { exitExport } from './exit-export';

type SdkTraceBase = typeof import('@opentelemetry/sdk-trace-base');

const PACKAGE: Record<OtelExporter | SetupConfig['otlpProtocol'], string> = {
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
  otlp: '', // by protocol, above
  zipkin: '@opentelemetry/exporter-zipkin',
  console: '@opentelemetry/sdk-trace-base',
};

/** Export requests one OTLP exporter keeps open at once. */
export const EXPORTS_IN_FLIGHT = 2;

export interface OtelPipeline {
  readonly spanProcessors: SpanProcessor[];
  readonly sampler: Sampler;
}

function exporterFor(name: OtelExporter, config: SetupConfig, sdk: SdkTraceBase): SpanExporter {
  switch (name) {
    case 'otlp': {
      const { OTLPTraceExporter } = require(PACKAGE[config.otlpProtocol]) as typeof import('@opentelemetry/exporter-trace-otlp-http');
      // At most EXPORTS_IN_FLIGHT batches wait on a slow or refusing collector (OpenTelemetry's default is 30, each
      // retried for seconds): what the process holds stays within the queue plus that many batches.
      return new OTLPTraceExporter({ url: config.otlpEndpoint, concurrencyLimit: EXPORTS_IN_FLIGHT });
    }
    case 'zipkin': {
      const { ZipkinExporter } = require(PACKAGE.zipkin) as typeof import('@opentelemetry/exporter-zipkin');
      return new ZipkinExporter({ url: config.zipkinEndpoint, serviceName: config.serviceName });
    }
    case 'console':
      return new sdk.ConsoleSpanExporter();
  }
}

function samplerFor(config: SetupConfig, sdk: SdkTraceBase): Sampler {
  const ratio = () => new sdk.TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio() });
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}

/**
 * Builds the pipeline; problems (a missing package, an exporter that refuses its options) are pushed to
 * `problems` and that exporter is left out. The console exporter prints each span as it ends (as OTel's SDK
 * sets it up); the network ones batch, and OTLP over HTTP also sends what is still waiting at `process.exit()`.
 */
export function buildOtelPipeline(config: SetupConfig, problems: string[]): OtelPipeline {
  const sdk = require('@opentelemetry/sdk-trace-base') as SdkTraceBase;
  const spanProcessors: SpanProcessor[] = [];
  for (const name of config.exporters) {
    const pkg = name === 'otlp' ? PACKAGE[config.otlpProtocol] : PACKAGE[name];
    try {
      const exporter = exporterFor(name, config, sdk);
      if (name === 'console') spanProcessors.push(new sdk.SimpleSpanProcessor(exporter));
      else {
        const atExit = name === 'otlp' ? exitExport(config.otlpProtocol, config.otlpEndpoint, pkg) : undefined;
        if (atExit === undefined) spanProcessors.push(new sdk.BatchSpanProcessor(exporter));
        // The tracker first: a full batch is exported from inside the batch processor's onEnd.
        else spanProcessors.push(atExit.processor, new sdk.BatchSpanProcessor(atExit.wrap(exporter)));
      }
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND';
      problems.push(
        missing
          ? `ts-traced: OTEL_TRACES_EXPORTER=${name} needs ${pkg} (npm install ${pkg}); spans are not exported there.`
          : `ts-traced: the ${name} exporter could not start (${(error as Error)?.message}); spans are not exported there.`,
      );
    }
  }
  return { spanProcessors, sampler: samplerFor(config, sdk) };
}
