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
export {
  installAllPatches,
  installPatches,
  uninstallAllPatches,
  type ClientName,
  type InstallOptions,
  type InstallResult,
} from './runtime/clients/index';
export { ClientInstallError, type ClientOptions, type ClientWrapper } from './runtime/clients/install';
export { pg, type PgOptions, type PgRequest } from './runtime/clients/pg';
export { mysql2, type Mysql2Options, type Mysql2Request, type Mysql2Response } from './runtime/clients/mysql2';
export { ioredis, type IoredisOptions, type IoredisRequest } from './runtime/clients/ioredis';
export { redis, type RedisClientOptions, type RedisRequest } from './runtime/clients/redis';
export { http, type HttpOptions } from './runtime/clients/http';
export { fetchClient, type FetchOptions, type UndiciRequest, type UndiciResponse } from './runtime/clients/fetch';
export type { HttpClientOptions } from './runtime/clients/http-tags';
export { awsSdk, instrumentAwsClient, type AwsSdkOptions, type AwsRequestInfo, type AwsClientLike } from './runtime/clients/aws-sdk';
export { amqplib, traceConsumer, type AmqplibOptions, type AmqpPublishInfo, type AmqpMessage, type TraceConsumerOptions } from './runtime/clients/amqplib';
export { bullmq, bullmqTelemetry, type BullmqOptions, type BullmqSpanInfo } from './runtime/clients/bullmq';
export { suppressTracing, isTracingSuppressed } from './runtime/child-span';
export { beforeRequest, traceHandler, type HttpTracingOptions } from './runtime/servers/http';
export { getSpan, type ServerTracingOptions } from './runtime/servers/request-span';
