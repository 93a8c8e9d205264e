/**
 * The tag value of a captured argument (`args`): primitives as they are, anything else as JSON-like text of at
 * most LIMIT characters. The walk stops as soon as the text is long enough, so a 10 MB Buffer or a million-element
 * array costs what a small one does; a throwing getter or Proxy, a cycle or a BigInt gives a placeholder, never a
 * throw. A tag never holds a live object. Values under secret-looking names (a `password` parameter, a `token` or
 * `authorization` key anywhere inside) are recorded as `REDACTED`.
 */
import type { TagValue } from '../contract';

const LIMIT = 256;
const MAX_DEPTH = 8;
const REDACTED = 'REDACTED';
/** Names whose values are never recorded, even when the user asked to capture the argument. */
const SECRET = /pass|secret|token|auth|cookie|api[-_]?key|session|credential/i;

/** Thrown to stop the walk once the text has reached the limit. */
const FULL = Symbol('full');

class Text {
  value = '';
  add(part: string): void {
    this.value += part;
    if (this.value.length > LIMIT) throw FULL;
  }
}

function cut(text: string): string {
  return text.length > LIMIT ? `${text.slice(0, LIMIT)}…` : text;
}

/** `name`: the parameter's name; a secret-looking one records `REDACTED`. */
export function tagValue(value: unknown, name = ''): TagValue {
  if (SECRET.test(name)) return REDACTED;
  switch (typeof value) {
    case 'string':
      return cut(value);
    case 'number':
    case 'boolean':
      return value;
    case 'undefined':
      return 'undefined';
    default: {
      const text = new Text();
      try {
        write(text, value, new Set(), 0);
      } catch {
        // FULL, or a value that cannot even be described: keep what was written.
      }
      return cut(text.value);
    }
  }
}

/** Reads `object[key]`; a throwing getter or Proxy trap gives a placeholder. */
function read(object: object, key: string | number): unknown {
  try {
    return (object as Record<string | number, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}
const UNREADABLE = Symbol('unreadable');

function write(text: Text, value: unknown, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
      return text.add(JSON.stringify(value.length > LIMIT ? value.slice(0, LIMIT) : value));
    case 'number':
    case 'boolean':
    case 'bigint':
      return text.add(String(value));
    case 'undefined':
      return text.add('undefined');
    case 'symbol':
      return text.add(value === UNREADABLE ? '[unreadable]' : value.toString());
    case 'function':
      return text.add(`[function ${typeof value.name === 'string' ? value.name : ''}]`);
  }
  if (value === null) return text.add('null');
  const object = value as object;
  if (seen.has(object)) return text.add('[circular]');
  seen.add(object);
  try {
    writeObject(text, object, seen, depth);
  } catch (error) {
    if (error === FULL) throw error;
    text.add('[unreadable]'); // a Proxy whose traps throw, a revoked Proxy
  } finally {
    seen.delete(object);
  }
}

function writeObject(text: Text, object: object, seen: Set<object>, depth: number): void {
  if (ArrayBuffer.isView(object)) {
    const constructor = read(object, 'constructor');
    const name = typeof constructor === 'function' && constructor.name ? constructor.name : tagOf(object);
    return text.add(`${name}(${object.byteLength} bytes)`);
  }
  if (object instanceof Date) return text.add(Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString());
  if (object instanceof Map || object instanceof Set) return text.add(`${tagOf(object)}(${object.size})`);
  if (depth >= MAX_DEPTH) return text.add(Array.isArray(object) ? '[…]' : '{…}');
  if (Array.isArray(object)) {
    const length = read(object, 'length');
    text.add('[');
    for (let i = 0; i < (typeof length === 'number' ? length : 0); i++) {
      if (i > 0) text.add(',');
      write(text, read(object, i), seen, depth + 1);
    }
    return text.add(']');
  }
  const keys = Object.keys(object);
  text.add('{');
  keys.forEach((key, i) => {
    text.add(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`);
    if (SECRET.test(key)) text.add(JSON.stringify(REDACTED));
    else write(text, read(object, key), seen, depth + 1);
  });
  text.add('}');
}

function tagOf(object: object): string {
  try {
    return Object.prototype.toString.call(object).slice(8, -1);
  } catch {
    return 'Object';
  }
}
