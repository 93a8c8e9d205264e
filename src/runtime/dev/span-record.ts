/**
 * The span file format: one JSON object per line, written by the file exporter and read by `traced view`.
 * Values are made JSON-safe when written (an error object becomes `Name: message`, anything else that is not a
 * string, number or boolean becomes text), so a line always parses and never holds a live object.
 */
import { describeValue } from './format';
import type { DevSpan } from './span';

export type RecordValue = string | number | boolean | null;

export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  /** `null` for the first span of a trace. */
  readonly parentId: string | null;
  readonly name: string;
  /** Epoch milliseconds, to the microsecond. */
  readonly start: number;
  /** Milliseconds, to the microsecond. */
  readonly duration: number;
  readonly tags: Readonly<Record<string, RecordValue>>;
  readonly logs: readonly { readonly timestamp: number; readonly fields: Readonly<Record<string, RecordValue>> }[];
  readonly error: boolean;
}

/** Longest string kept in a record: a stack trace fits, a 10 MB payload logged by mistake does not. */
const MAX_TEXT = 8192;

const toMicros = (ms: number) => Math.round(ms * 1000) / 1000;

function recordValue(value: unknown): RecordValue {
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  const text = describeValue(value);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function recordFields(fields: Readonly<Record<string, unknown>>): Record<string, RecordValue> {
  const out: Record<string, RecordValue> = Object.create(null);
  try {
    for (const key of Object.keys(fields)) out[key] = recordValue(fields[key]);
  } catch {
    // A hostile object (a Proxy whose traps throw): keep what was read.
  }
  return out;
}

export function toSpanRecord(span: DevSpan): SpanRecord {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentId: span.parentId ?? null,
    name: describeValue(span.name),
    start: toMicros(span.start),
    duration: toMicros(span.duration),
    tags: recordFields(span.tags),
    logs: span.logs.map((log) => ({ timestamp: toMicros(Number(log.timestamp)), fields: recordFields(log.fields) })),
    error: span.error,
  };
}

const isRecordOf = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a parsed line. Returns what is wrong, in a few words, or `undefined` when it is a usable record. Tags
 * and logs are optional (an empty object / list when absent), so records from other tools can be viewed too.
 */
export function checkSpanRecord(value: unknown): string | undefined {
  if (!isRecordOf(value)) return 'not a JSON object';
  for (const key of ['traceId', 'spanId', 'name'] as const) {
    if (typeof value[key] !== 'string' || value[key] === '') return `"${key}" is not a non-empty string`;
  }
  if (value.parentId !== undefined && value.parentId !== null && typeof value.parentId !== 'string') {
    return '"parentId" is not a string or null';
  }
  for (const key of ['start', 'duration'] as const) {
    if (typeof value[key] !== 'number' || !Number.isFinite(value[key])) return `"${key}" is not a number`;
  }
  if (value.tags !== undefined && !isRecordOf(value.tags)) return '"tags" is not an object';
  if (value.logs !== undefined && !Array.isArray(value.logs)) return '"logs" is not a list';
  return undefined;
}
