/**
 * `ts-traced`: the API for users. Instrumented code imports `ts-traced/runtime` instead.
 */
export { traced, untraced, type TracedOptions } from './runtime/traced';
export { activeSpan, withSpan, setActiveSpanProvider } from './runtime/scope';
export {
  startSpan,
  withChildSpan,
  getBaggage,
  setBaggage,
  bindSpan,
  type StartSpanOptions,
} from './runtime/context';
export { setTracer, getTracer } from './runtime/tracer';
export { faultCounts } from './runtime/safe';
export { beforeRequest, traceHandler, type HttpTracingOptions } from './runtime/servers/http';
export { getSpan, type ServerTracingOptions } from './runtime/servers/request-span';
