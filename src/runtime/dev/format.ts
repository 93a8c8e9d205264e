/** Text helpers the console tree and the HTML waterfall share, so both show a span the same way. */

/** `320 µs`, `2.30 ms`, `12.4 ms`, `123 ms`, `1.50 s`: three significant digits, the unit that fits. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const us = Math.round(ms * 1000);
  if (us < 1000) return `${us} µs`;
  if (ms < 999.5) return `${ms.toPrecision(3)} ms`;
  const s = ms / 1000;
  return s < 999.5 ? `${s.toPrecision(3)} s` : `${Math.round(s)} s`;
}

// C0 and C1 control characters, DEL, and the bidirectional overrides that can make text lie about its order.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** One line of printable text: whitespace runs become one space, other control characters `�`. */
export function toPrintable(text: string): string {
  return text.replace(/\s+/g, ' ').replace(UNPRINTABLE, '\ufffd');
}

/** At most `max` characters, the last one `…` when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Any tag or log value as text, never throwing (a hostile getter, a Proxy, a cycle). */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return '[function]';
  }
  if (value === null) return 'null';
  try {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return '[object]';
  }
}

/** The message of a span's error: the `message` of its last `event=error` log, if any. */
export function errorMessage(logs: readonly { readonly fields: Readonly<Record<string, unknown>> }[]): string | undefined {
  try {
    for (let i = logs.length - 1; i >= 0; i--) {
      const fields = logs[i].fields;
      if (fields.event !== 'error') continue;
      const message = fields.message ?? fields['error.object'];
      return message === undefined ? undefined : describeValue(message);
    }
  } catch {
    // Fields are the caller's objects: a throwing getter means no message, not a failure.
  }
  return undefined;
}
