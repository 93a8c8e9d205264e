/**
 * `ts-traced/setup`: configures tracing from environment variables when loaded, before the app:
 *
 *   node --import ts-traced/setup app.js      (or: node -r ts-traced/setup app.js)
 *
 * OpenTelemetry's variables (`OTEL_SERVICE_NAME`, `OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_*`,
 * `OTEL_TRACES_SAMPLER[_ARG]`, `OTEL_PROPAGATORS`, `OTEL_SDK_DISABLED`) and ts-traced's own (`TRACED_EXPORTER`,
 * `TRACED_FILE`); see the README's table. Runs once per process, however many times it is loaded.
 */
import { setupFromEnv } from './runtime/setup';

const DONE = Symbol.for('ts-traced.setup.done');
const holder = globalThis as typeof globalThis & { [DONE]?: true };

if (holder[DONE] === undefined) {
  holder[DONE] = true;
  setupFromEnv(process.env);
}

export {};
