/**
 * `process.exit()` leaves only the synchronous `exit` event, where no request can be sent and awaited: spans
 * still waiting in the batch processor would be lost. For OTLP over HTTP they are sent from there by a short-lived
 * Node process run synchronously (`spawnSync`), encoded by the exporter's own serializer, with the exporter's URL
 * and headers, bounded by a timeout. Spans already handed to the exporter are not sent again (a request in flight
 * at exit may be lost; sending it twice would duplicate it).
 *
 * Two hooks find the waiting spans: a span processor notes each sampled span that ends, and a wrapper around the
 * exporter forgets the spans the batch processor hands over.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OtlpProtocol } from './env';

const SERIALIZER = { 'http/json': 'JsonTraceSerializer', 'http/protobuf': 'ProtobufTraceSerializer' } as const;
/** The batch processor's default queue size, when `OTEL_BSP_MAX_QUEUE_SIZE` does not set one. */
const DEFAULT_MAX_WAITING = 2048;
const CONTENT_TYPE = { 'http/json': 'application/json', 'http/protobuf': 'application/x-protobuf' } as const;

/** Reads the body from stdin and POSTs it; exits 0 on a 2xx answer. Runs with no app code loaded. */
const SENDER = `
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c)).on('end', () => {
  const url = new URL(process.env.EXPORT_URL);
  const client = require(url.protocol === 'https:' ? 'node:https' : 'node:http');
  const req = client.request(url, { method: 'POST', headers: JSON.parse(process.env.EXPORT_HEADERS) }, (res) => {
    res.resume().on('end', () => process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1));
  });
  req.on('error', () => process.exit(1));
  req.end(Buffer.concat(chunks));
});`;

export interface ExitExport {
  /** Put before the batch processor in the provider's list. */
  readonly processor: SpanProcessor;
  /** Wraps the OTLP exporter the batch processor exports to. */
  wrap(exporter: SpanExporter): SpanExporter;
}

/**
 * The hooks for an OTLP/HTTP exporter whose package is `exporterPackage`; `undefined` for gRPC (no one-shot
 * client to spawn) or when the serializer cannot be loaded.
 */
export function exitExport(protocol: OtlpProtocol, url: string, exporterPackage: string, timeoutMs = 3000): ExitExport | undefined {
  if (protocol === 'grpc') return undefined;
  let serialize: (spans: ReadableSpan[]) => Uint8Array | undefined;
  let headers: Record<string, string>;
  let maxWaiting = DEFAULT_MAX_WAITING;
  try {
    const fromExporter = createRequire(require.resolve(exporterPackage));
    const transformer = fromExporter('@opentelemetry/otlp-transformer') as typeof import('@opentelemetry/otlp-transformer');
    const { getNumberFromEnv, getStringFromEnv, parseKeyPairsIntoRecord } = fromExporter('@opentelemetry/core') as typeof import('@opentelemetry/core');
    // No more than the batch processor itself keeps: the exporter's buffer stays within the configured size.
    maxWaiting = Math.max(1, getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? DEFAULT_MAX_WAITING);
    serialize = (spans) => transformer[SERIALIZER[protocol]].serializeRequest(spans);
    headers = {
      ...parseKeyPairsIntoRecord(getStringFromEnv('OTEL_EXPORTER_OTLP_HEADERS')),
      ...parseKeyPairsIntoRecord(getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
      'Content-Type': CONTENT_TYPE[protocol],
    };
  } catch {
    return undefined;
  }
  const waiting = new Set<ReadableSpan>();
  process.on('exit', () => {
    if (waiting.size === 0) return;
    const body = serialize([...waiting]);
    waiting.clear();
    if (body === undefined) return;
    const env: NodeJS.ProcessEnv = { ...process.env, EXPORT_URL: url, EXPORT_HEADERS: JSON.stringify(headers) };
    delete env.NODE_OPTIONS; // the sender must not load the app's preloads (this set-up among them)
    spawnSync(process.execPath, ['-e', SENDER], { input: body, env, timeout: timeoutMs, stdio: ['pipe', 'ignore', 'ignore'] });
  });
  return {
    processor: {
      onStart() {},
      onEnd(span) {
        if ((span.spanContext().traceFlags & 1) === 0) return; // the batch processor skips these too
        // The batch processor drops a span that ends while its queue is full (it keeps the older ones): so do we,
        // and the two hold the same spans.
        if (waiting.size < maxWaiting) waiting.add(span);
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    },
    wrap(exporter) {
      return {
        export(spans, done) {
          for (const span of spans) waiting.delete(span);
          exporter.export(spans, done);
        },
        shutdown: () => exporter.shutdown(),
        forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
      };
    },
  };
}
