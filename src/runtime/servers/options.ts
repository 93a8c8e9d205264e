/**
 * The options every server integration takes (http, express, koa, fastify), checked once when the middleware is
 * made. A wrong option never reaches the app as an exception: it is named in one process warning and its
 * default is used, so a typo in tracing set-up cannot take a service down.
 */
import type { Span, Tracer } from 'opentracing';
import { reportFault } from '../safe';
import { getTracerOrGlobal } from '../tracer';

/** Options of `traceHandler`, `tracingMiddleware`, `koaTracing` and `fastifyTracing`. `Req` is the framework's request. */
export interface ServerTracingOptions<Req = unknown> {
  /** Trace every request. When false, only routes marked with `traceRoute` (fastify: `config.traced`) are. Default true. */
  readonly traceAll?: boolean;
  /** Request properties recorded as tags under their own name, e.g. `['path', 'method', 'ip']`. Default none. */
  readonly tracedAttributes?: readonly string[];
  /** Paths never traced: a string matches the path and every path below it, a RegExp is tested on the path. */
  readonly excludedPaths?: readonly (string | RegExp)[];
  /** The span's name, called when the response ends (the route is known then). Default `METHOD /route/:template`. */
  readonly operationName?: (request: Req) => string;
  /** Called with the new span and the request, to add tags. A throw is reported once and does no harm. */
  readonly startSpanCallback?: (span: Span, request: Req) => void;
  /** The tracer, or a function returning it per request. Default: the one set with `setTracer`, else opentracing's global one. */
  readonly tracer?: Tracer | (() => Tracer | undefined);
  /**
   * The query string in `http.url`: `'drop'` (default) leaves it out; `'redact'` keeps it with the values of keys that
   * look secret (token, key, secret, password, auth, signature, session, ...) replaced by `REDACTED`.
   */
  readonly urlQuery?: 'drop' | 'redact';
}

/** Checked options, as the request span reads them. */
export interface ServerSettings<Req = unknown> {
  readonly component: string;
  readonly traceAll: boolean;
  readonly attributes: readonly string[];
  readonly excludedPaths: readonly (string | RegExp)[];
  readonly operationName: ((request: Req) => string) | undefined;
  readonly startSpanCallback: ((span: Span, request: Req) => void) | undefined;
  readonly tracer: Tracer | (() => Tracer | undefined) | undefined;
  readonly urlQuery: 'drop' | 'redact';
}

export const CONFIG_WARNING_CODE = 'TS_TRACED_CONFIG';

type Check = (value: unknown) => boolean;
const isFunction: Check = (v) => typeof v === 'function';
const isStringArray: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');

const CHECKS: Record<keyof ServerTracingOptions, { readonly check: Check; readonly expected: string }> = {
  traceAll: { check: (v) => typeof v === 'boolean', expected: 'a boolean' },
  tracedAttributes: { check: isStringArray, expected: 'an array of property names' },
  excludedPaths: {
    check: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string' || x instanceof RegExp),
    expected: 'an array of strings and RegExps',
  },
  operationName: { check: isFunction, expected: 'a function (request) => string' },
  startSpanCallback: { check: isFunction, expected: 'a function (span, request) => void' },
  tracer: {
    check: (v) => isFunction(v) || (typeof v === 'object' && v !== null && typeof (v as Tracer).startSpan === 'function'),
    expected: 'an OpenTracing Tracer or a function returning one',
  },
  urlQuery: { check: (v) => v === 'drop' || v === 'redact', expected: "'drop' or 'redact'" },
};

function warn(where: string, message: string): void {
  try {
    process.emitWarning(`ts-traced: ${where}: ${message}`, { code: CONFIG_WARNING_CODE });
  } catch {
    // A throwing warning listener must not reach the app.
  }
}

/**
 * Checks `options` for `where` (e.g. `tracingMiddleware`). Unknown keys and wrong values are named in a warning
 * and left out. `ignoredKeys` are keys the framework itself adds (fastify's `prefix`).
 */
export function resolveOptions<Req>(
  options: ServerTracingOptions<Req> | undefined,
  where: string,
  component: string,
  ignoredKeys: readonly string[] = [],
): ServerSettings<Req> {
  const valid: Record<string, unknown> = {};
  if (options !== undefined && options !== null && typeof options !== 'object') {
    warn(where, `options must be an object, got ${typeof options}; using the defaults`);
  } else if (options) {
    for (const key of Object.keys(options)) {
      const rule = CHECKS[key as keyof ServerTracingOptions];
      const value = (options as Record<string, unknown>)[key];
      if (rule === undefined) {
        if (!ignoredKeys.includes(key)) warn(where, `unknown option '${key}' ignored (known: ${Object.keys(CHECKS).join(', ')})`);
      } else if (value !== undefined && !rule.check(value)) {
        warn(where, `option '${key}' must be ${rule.expected}; using its default`);
      } else {
        valid[key] = value;
      }
    }
  }
  return {
    component,
    traceAll: (valid.traceAll as boolean | undefined) ?? true,
    attributes: [...((valid.tracedAttributes as string[] | undefined) ?? [])],
    excludedPaths: [...((valid.excludedPaths as (string | RegExp)[] | undefined) ?? [])],
    operationName: valid.operationName as ServerSettings<Req>['operationName'],
    startSpanCallback: valid.startSpanCallback as ServerSettings<Req>['startSpanCallback'],
    tracer: valid.tracer as ServerSettings<Req>['tracer'],
    urlQuery: (valid.urlQuery as 'drop' | 'redact' | undefined) ?? 'drop',
  };
}

/** True when `path` (no query) is excluded: equal to a string entry or below it, or matched by a RegExp entry. */
export function isExcluded(path: string, excluded: readonly (string | RegExp)[]): boolean {
  for (const entry of excluded) {
    if (typeof entry === 'string') {
      if (path === entry || path.startsWith(entry.endsWith('/') ? entry : `${entry}/`)) return true;
    } else {
      entry.lastIndex = 0; // a /g or /y RegExp keeps state between tests
      if (entry.test(path)) return true;
    }
  }
  return false;
}

/** The tracer for one request; `undefined` (untraced) when the user's function throws or returns no tracer. */
export function resolveTracer(settings: ServerSettings<any>): Tracer | undefined {
  const given = settings.tracer;
  if (given === undefined) return getTracerOrGlobal();
  if (typeof given !== 'function') return given;
  try {
    const tracer = given();
    if (typeof tracer === 'object' && tracer !== null && typeof tracer.startSpan === 'function') return tracer;
    if (tracer !== undefined && tracer !== null) reportFault('server.tracer', new TypeError('the tracer option returned a non-tracer'));
  } catch (error) {
    reportFault('server.tracer', error);
  }
  return undefined;
}
