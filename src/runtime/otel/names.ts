/** Propagator names as `OTEL_PROPAGATORS` spells them. Kept apart so that reading them loads no OpenTelemetry. */
export const PROPAGATOR_NAMES = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger'] as const;
export type PropagatorName = (typeof PROPAGATOR_NAMES)[number];
