/**
 * The exporter's own HTTP requests must not become spans (each export would produce spans to export, for ever).
 * OTel exporters send inside a "suppress tracing" context; through the context bridge that context reaches the
 * OTel tracer the runtime's spans are started on, so a client span started for the export request records nothing.
 * The http client wrapper is installed before the exporter loads its transport, so the export requests do go
 * through it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { useOpenTelemetry } from '../../../src/otel';
import { http as httpClient } from '../../../src/runtime/clients/http';
import { traced } from '../../../src/runtime/traced';
import { startHttpReceiver } from '../../helpers/trace-receiver';

const work = traced({ name: 'work' })(async function work() {
  await new Promise((r) => setImmediate(r));
});

const requests = suite('export requests');
requests('with the http client wrapper installed, export POSTs leave no spans', async () => {
  const receiver = await startHttpReceiver();
  httpClient.install();
  const bridge = useOpenTelemetry({ serviceName: 'export-requests', exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }) });
  try {
    await work();
    await bridge.forceFlush(); // the first POST: a span for it would be exported by the next flush
    await work();
    await bridge.forceFlush();
    await bridge.forceFlush();
    assert.equal(receiver.spans.map((s) => s.name), ['work', 'work']);
    assert.is(receiver.contentTypes.length, 2, '~> the exports did go out');
  } finally {
    await bridge.shutdown();
    httpClient.uninstall();
    await receiver.close();
  }
});
requests.run();
