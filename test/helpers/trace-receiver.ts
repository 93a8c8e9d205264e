/**
 * A collector in the test process, on 127.0.0.1 and a free port, that decodes what real exporters send:
 * OTLP/HTTP JSON and protobuf (`POST /v1/traces`), OTLP/gRPC (`TraceService/Export`), and Zipkin v2 JSON
 * (`POST /api/v2/spans`). Protobuf is decoded by protobufjs against the OTLP trace messages (field numbers as in
 * opentelemetry-proto `trace/v1/trace.proto`, the subset a span needs).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly service: string | undefined;
  readonly attributes: Record<string, unknown>;
  readonly events: { name: string; attributes: Record<string, unknown> }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error (Zipkin: 2 when tagged `error`). */
  readonly statusCode: number;
  /** How it arrived. */
  readonly via: 'otlp-json' | 'otlp-proto' | 'otlp-grpc' | 'zipkin';
}

const OTLP_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
                ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;
const ExportRequest = protobuf.parse(OTLP_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

type Json = any;

const hex = (v: unknown): string =>
  v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'string' ? v : '';

function anyValue(v: Json): unknown {
  if (v == null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  return undefined;
}
const attributes = (list: Json[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));

function fromOtlp(request: Json, via: ReceivedSpan['via']): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const service = attributes(rs.resource?.attributes)['service.name'] as string | undefined;
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          service,
          attributes: attributes(s.attributes),
          events: (s.events ?? []).map((e: Json) => ({ name: e.name, attributes: attributes(e.attributes) })),
          statusCode: s.status?.code ?? 0,
          via,
        });
      }
    }
  }
  return out;
}

function decodeProto(body: Buffer): Json {
  return ExportRequest.toObject(ExportRequest.decode(body), { longs: Number, defaults: false });
}

function fromZipkin(list: Json[]): ReceivedSpan[] {
  return list.map((s) => ({
    traceId: s.traceId,
    spanId: s.id,
    parentSpanId: s.parentId ?? '',
    name: s.name,
    service: s.localEndpoint?.serviceName,
    attributes: { ...s.tags },
    events: (s.annotations ?? []).map((a: Json) => ({ name: a.value, attributes: {} })),
    statusCode: s.tags?.error !== undefined ? 2 : 0,
    via: 'zipkin' as const,
  }));
}

export interface TraceReceiver {
  /** `http://127.0.0.1:<port>` (HTTP) or `127.0.0.1:<port>` (gRPC). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Content types of the requests received, in order. */
  readonly contentTypes: string[];
  /** Resolves once `count` spans arrived; rejects after `ms`. */
  waitForSpans(count: number, ms?: number): Promise<ReceivedSpan[]>;
  byName(name: string): ReceivedSpan;
  close(): Promise<void>;
}

function collector(url: string, close: () => Promise<void>): TraceReceiver & { add(spans: ReceivedSpan[]): void } {
  const spans: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  return {
    url,
    spans,
    contentTypes: [],
    add(received) {
      spans.push(...received);
      for (const w of waiters) w();
    },
    waitForSpans(count, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (spans.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`received ${spans.length} of ${count} spans in ${ms} ms: ${spans.map((s) => s.name).join(', ')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    byName(name) {
      const found = spans.filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named ${name}, received ${found.length}`);
      return found[0];
    },
    close,
  };
}

/** OTLP/HTTP (JSON or protobuf, by content type) and Zipkin v2 JSON on one HTTP server. */
export async function startHttpReceiver(): Promise<TraceReceiver> {
  let server: Server;
  const receiver = collector('', () => new Promise<void>((r) => server.close(() => r())));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type'] ?? '');
      receiver.contentTypes.push(type);
      try {
        if (req.url === '/v1/traces' && type.includes('json')) receiver.add(fromOtlp(JSON.parse(body.toString()), 'otlp-json'));
        else if (req.url === '/v1/traces') receiver.add(fromOtlp(decodeProto(body), 'otlp-proto'));
        else if (req.url === '/api/v2/spans') receiver.add(fromZipkin(JSON.parse(body.toString())));
        else return void res.writeHead(404).end();
      } catch (error) {
        return void res.writeHead(400).end(String(error));
      }
      if (req.url === '/api/v2/spans') return void res.writeHead(202).end();
      res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' }).end(
        type.includes('json') ? '{}' : Buffer.alloc(0),
      );
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (receiver as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** OTLP/gRPC: the TraceService Export method, request bytes decoded as above. */
export async function startGrpcReceiver(): Promise<TraceReceiver> {
  const server = new grpc.Server();
  const receiver = collector('', () => new Promise<void>((r) => server.tryShutdown(() => r())));
  const identity = (b: Buffer) => b;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        receiver.contentTypes.push('application/grpc');
        receiver.add(fromOtlp(decodeProto(call.request), 'otlp-grpc'));
        done(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  (receiver as { url: string }).url = `127.0.0.1:${port}`;
  return receiver;
}

/** Checks each span's parent is in `spans` (or it is the root) and returns `name -> parent name` for asserting. */
export function treeOf(spans: readonly ReceivedSpan[]): Record<string, string> {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return Object.fromEntries(
    spans.map((s) => [s.name, s.parentSpanId === '' ? '(root)' : (byId.get(s.parentSpanId)?.name ?? `(missing ${s.parentSpanId})`)]),
  );
}
