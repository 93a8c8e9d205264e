/**
 * `ts-traced/otel`: record the spans of instrumented code with OpenTelemetry. Needs the OpenTelemetry packages
 * (optional peer dependencies of ts-traced): @opentelemetry/api, -sdk-trace-base, -shim-opentracing,
 * -context-async-hooks, -resources, -semantic-conventions, and the exporters you use.
 */
export { useOpenTelemetry, type OpenTelemetryOptions, type OpenTelemetryBridge } from './runtime/otel/use';
export { StrictPropagator } from './runtime/otel/propagator';
export { PROPAGATOR_NAMES, type PropagatorName } from './runtime/otel/names';
export { ScopeContextManager } from './runtime/otel/context-bridge';
