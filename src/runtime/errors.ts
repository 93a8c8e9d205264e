/**
 * OpenTracing's error conventions: tag `error=true` and log `event=error` with `error.object`, `message`,
 * `stack` and `error.kind`. Reading a thrown value can itself throw (a getter, a Proxy): each read is guarded,
 * and the user's value is never changed.
 */
import type { Span } from 'opentracing';
import { reportFault } from './safe';

function read(value: unknown, key: 'message' | 'stack' | 'name'): string | undefined {
  try {
    const v = (value as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function describe(value: unknown): string {
  try {
    return typeof value === 'symbol' ? value.toString() : String(value);
  } catch {
    return typeof value === 'function' ? '[function]' : '[object]';
  }
}

/** Marks `span` as failed with `error`, per the OpenTracing semantic conventions. Never throws. */
export function tagError(span: Span, error: unknown): void {
  const isObject = (typeof error === 'object' && error !== null) || typeof error === 'function';
  const fields: Record<string, unknown> = { event: 'error', 'error.object': error };
  fields.message = (isObject && read(error, 'message')) || describe(error);
  const stack = isObject ? read(error, 'stack') : undefined;
  if (stack !== undefined) fields.stack = stack;
  const kind = isObject ? read(error, 'name') : undefined;
  fields['error.kind'] = kind ?? typeof error;
  // Apart, so a tracer whose setTag fails still gets the error log, and each fault is named for its method.
  try {
    span.setTag('error', true);
  } catch (fault) {
    reportFault('span.setTag', fault);
  }
  try {
    span.log(fields);
  } catch (fault) {
    reportFault('span.log', fault);
  }
}
