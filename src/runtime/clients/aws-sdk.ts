/**
 * AWS SDK for JavaScript v3, through the SDK's own hook point: two middlewares on a client's middleware stack.
 * - `initialize` (high priority): one span per command, around retries, signing and the HTTP call (an http child
 *   span nests under it), tagged from the command and from `$metadata` of the output or of the SDK's error, which
 *   is rethrown untouched.
 * - `finalizeRequest` (low priority, so after retries and after signing): writes the span's context into the
 *   HTTP request headers. Unsigned on purpose: a presigned URL or a signature never depends on a trace header.
 * `instrumentAwsClient(client)` instruments one client. `awsSdk.install()` instruments every client on its first
 * `send`, by wrapping `Client.prototype.send` of `@smithy/core/client` (the base class all v3 clients share); a
 * constructor hook would have to replace the class every client module already holds.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Tags } from 'opentracing';
import { startChildSpan, type ChildSpan } from '../child-span';
import { withSpan } from '../scope';
import { state } from '../state';
import { defineWrapper, runHook, wrapMethod, type ClientOptions } from './install';

/** What `requestHook` receives: the service, the operation and the command's input (user data: record with care). */
export interface AwsRequestInfo {
  readonly service: string;
  readonly operation: string;
  readonly input: unknown;
}

/** `responseHook` receives the command's output (with `$metadata`). */
export type AwsSdkOptions = ClientOptions<AwsRequestInfo, unknown>;

/** The parts of a v3 client this uses. */
interface MiddlewareStack {
  add(middleware: unknown, options: Record<string, unknown>): void;
  removeByTag(tag: string): boolean;
}
export interface AwsClientLike {
  readonly middlewareStack: MiddlewareStack;
  readonly config: { readonly serviceId?: string; readonly region?: unknown };
}

interface HandlerContext {
  readonly clientName?: string;
  readonly commandName?: string;
  readonly signing_region?: string;
  readonly __smithy_context?: {
    readonly selectedHttpAuthScheme?: { readonly httpAuthOption?: { readonly signingProperties?: { readonly region?: unknown } } };
  };
}
interface Metadata {
  readonly httpStatusCode?: number;
  readonly requestId?: string;
}

export const AWS_TAG = {
  service: 'aws.service',
  operation: 'aws.operation',
  region: 'aws.region',
  requestId: 'aws.request_id',
} as const;

const MIDDLEWARE_TAG = 'TS_TRACED';
const SPAN_MIDDLEWARE = 'tsTracedSpanMiddleware';
const INJECT_MIDDLEWARE = 'tsTracedInjectMiddleware';

/** Stacks already instrumented, shared by every loaded copy of the runtime (a stack refuses duplicate names). */
const KEY = Symbol.for('ts-traced.aws-sdk.stacks');
const holder = globalThis as typeof globalThis & { [KEY]?: WeakSet<object> };
const instrumented = (holder[KEY] ??= new WeakSet<object>());

function tagMetadata(child: ChildSpan, metadata: Metadata | undefined): void {
  if (typeof metadata !== 'object' || metadata === null) return;
  child.setTag(Tags.HTTP_STATUS_CODE, metadata.httpStatusCode);
  child.setTag(AWS_TAG.requestId, metadata.requestId);
}

/**
 * The region the request was signed for, read (never resolved again: the config's provider may be the user's)
 * from what the SDK left in the handler context by the end of the command.
 */
function regionOf(context: HandlerContext, client: AwsClientLike): string | undefined {
  const region =
    context.signing_region ??
    context.__smithy_context?.selectedHttpAuthScheme?.httpAuthOption?.signingProperties?.region ??
    client.config.region;
  return typeof region === 'string' ? region : undefined;
}

function spanMiddleware(client: AwsClientLike, options: AwsSdkOptions, spans: WeakMap<object, ChildSpan>) {
  return (next: (args: unknown) => Promise<{ output?: { $metadata?: Metadata } }>, context: HandlerContext) =>
    async (args: { input?: unknown }) => {
      const tracer = options.tracer ?? state.tracer;
      if (tracer === undefined) return next(args);
      const service = client.config.serviceId ?? context.clientName?.replace(/Client$/, '') ?? 'aws';
      const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
      const child = startChildSpan(
        `${service}.${operation}`,
        {
          [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_CLIENT,
          [Tags.COMPONENT]: 'aws-sdk',
          [Tags.PEER_SERVICE]: options.peerService ?? service,
          [AWS_TAG.service]: service,
          [AWS_TAG.operation]: operation,
        },
        tracer,
      );
      if (child === undefined) return next(args);
      spans.set(context, child);
      runHook(options.requestHook, child.span, { service, operation, input: args.input }, 'hook.requestHook');
      try {
        const result = await withSpan(child.span, next, args);
        tagMetadata(child, result?.output?.$metadata);
        runHook(options.responseHook, child.span, result?.output, 'hook.responseHook');
        return result;
      } catch (error) {
        tagMetadata(child, (error as { $metadata?: Metadata } | null)?.$metadata);
        child.fail(error);
        throw error;
      } finally {
        child.setTag(AWS_TAG.region, regionOf(context, client));
        child.finish();
      }
    };
}

function injectMiddleware(spans: WeakMap<object, ChildSpan>) {
  return (next: (args: unknown) => Promise<unknown>, context: HandlerContext) =>
    (args: { request?: { headers?: Record<string, string> } }) => {
      const child = spans.get(context);
      const headers = args.request?.headers;
      if (child !== undefined && typeof headers === 'object' && headers !== null) {
        const carrier: Record<string, unknown> = {};
        child.inject(carrier);
        for (const [name, value] of Object.entries(carrier)) {
          const present = Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase());
          if (!present && typeof value === 'string' && /^[\t\x20-\x7e]*$/.test(value)) headers[name] = value;
        }
      }
      return next(args);
    };
}

/**
 * Traces every command `client` sends; returns the undo. Instrumenting a client twice changes nothing.
 * `options.tracer` / hooks apply to this client.
 */
export function instrumentAwsClient(client: AwsClientLike, options: AwsSdkOptions = {}): () => void {
  const stack = client?.middlewareStack;
  if (typeof stack?.add !== 'function' || instrumented.has(stack)) return () => {};
  const spans = new WeakMap<object, ChildSpan>();
  const tags = [MIDDLEWARE_TAG];
  stack.add(spanMiddleware(client, options, spans), { step: 'initialize', priority: 'high', name: SPAN_MIDDLEWARE, tags });
  stack.add(injectMiddleware(spans), { step: 'finalizeRequest', priority: 'low', name: INJECT_MIDDLEWARE, tags });
  instrumented.add(stack);
  return () => {
    if (!instrumented.delete(stack)) return;
    stack.removeByTag(MIDDLEWARE_TAG);
  };
}

function loadSmithyClient(): { exports: unknown; version: string | undefined } | undefined {
  for (const from of [createRequire(join(process.cwd(), 'noop.js')), require]) {
    try {
      const exports = from('@smithy/core/client');
      const version = (from('@smithy/core/package.json') as { version?: string }).version;
      return { exports, version };
    } catch {
      // Try the next resolution base.
    }
  }
  return undefined;
}

type Send = (this: AwsClientLike, ...args: unknown[]) => unknown;

/** Every AWS SDK v3 client (`@smithy/core` 3.x, shared by all `@aws-sdk/client-*` packages), from its first send. */
export const awsSdk = defineWrapper<AwsSdkOptions>({
  name: '@smithy/core',
  majors: [3],
  load: loadSmithyClient,
  patch(exports: { Client: { prototype: { send: Send } } }, options) {
    // Weak: a client dropped by the app must not be kept alive for a later uninstall.
    const stacks = new Set<WeakRef<MiddlewareStack>>();
    const unpatch = wrapMethod(exports.Client.prototype, 'send', (original: Send) =>
      function (this: AwsClientLike, ...args: unknown[]) {
        const stack = this?.middlewareStack;
        if (stack !== undefined && !instrumented.has(stack)) {
          try {
            instrumentAwsClient(this, options);
            if (stacks.size >= 64 && (stacks.size & (stacks.size - 1)) === 0) {
              for (const ref of stacks) if (ref.deref() === undefined) stacks.delete(ref);
            }
            stacks.add(new WeakRef(stack));
          } catch {
            // A stack that refuses the middleware (another copy's, under the same name) is left as it is.
          }
        }
        return original.apply(this, args);
      },
    );
    return () => {
      unpatch();
      for (const ref of stacks) {
        const stack = ref.deref();
        if (stack !== undefined && instrumented.delete(stack)) stack.removeByTag(MIDDLEWARE_TAG);
      }
      stacks.clear();
    };
  },
});
