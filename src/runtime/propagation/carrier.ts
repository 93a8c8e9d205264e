/**
 * Reads headers from whatever an extractor is handed, without ever throwing: node's `IncomingHttpHeaders` or
 * `headersDistinct`, a fetch `Headers` / `Map` (anything with `get()`), or a plain record with keys in any case.
 * A value that is not a string or an array of strings (numbers, objects, a getter returning `1`, a Proxy that
 * throws) makes that header count as absent, so a confused carrier starts a new trace instead of failing.
 */

export interface HeaderReader {
  /** Every value of header `name` (lower case), in order; undefined when absent or unusable. */
  get(name: string): readonly string[] | undefined;
  /** Headers whose lower-cased name starts with `prefix`: `[rest of the name, values]`, in carrier order. */
  withPrefix(prefix: string): Array<readonly [string, readonly string[]]>;
}

/** Most entries a prefix scan takes from an iterator (`Headers`, `Map`): an endless iterator must end. */
const MAX_SCANNED_ENTRIES = 1024;

/** A header value as a list of strings; undefined for absent, null for a value of the wrong type. */
function toValues(value: unknown): readonly string[] | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return null;
  if (value.length === 0) return undefined;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return null;
  return value as readonly string[];
}

const EMPTY: HeaderReader = { get: () => undefined, withPrefix: () => [] };

function recordReader(record: Record<string, unknown>): HeaderReader {
  const keys = Object.keys(record);
  const read = (key: string): readonly string[] | undefined | null => {
    try {
      return toValues(record[key]);
    } catch {
      return null;
    }
  };
  return {
    get(name) {
      let found: readonly string[] | undefined;
      for (const key of keys) {
        if (key.length !== name.length || (key !== name && key.toLowerCase() !== name)) continue;
        const values = read(key);
        if (values === null) return undefined;
        if (values) found = found ? [...found, ...values] : values;
      }
      return found;
    },
    withPrefix(prefix) {
      const out: Array<readonly [string, readonly string[]]> = [];
      for (const key of keys) {
        if (key.length <= prefix.length || key.slice(0, prefix.length).toLowerCase() !== prefix) continue;
        const values = read(key);
        if (values) out.push([key.slice(prefix.length).toLowerCase(), values]);
      }
      return out;
    },
  };
}

function headersReader(headers: { get: (name: string) => unknown; entries?: unknown }): HeaderReader {
  return {
    get(name) {
      try {
        return toValues(headers.get(name)) ?? undefined;
      } catch {
        return undefined;
      }
    },
    withPrefix(prefix) {
      const out: Array<readonly [string, readonly string[]]> = [];
      try {
        if (typeof headers.entries !== 'function') return out;
        let seen = 0;
        for (const entry of headers.entries() as Iterable<unknown>) {
          if (++seen > MAX_SCANNED_ENTRIES || !Array.isArray(entry)) break;
          const [key, value] = entry as [unknown, unknown];
          if (typeof key !== 'string') continue;
          const name = key.toLowerCase();
          if (name.length <= prefix.length || !name.startsWith(prefix)) continue;
          const values = toValues(value);
          if (values) out.push([name.slice(prefix.length), values]);
        }
      } catch {
        // A hostile iterator ends the scan; what was read so far stands.
      }
      return out;
    },
  };
}

/** Opens `carrier` for reading; anything that is not an object gives a reader that finds nothing. */
export function openCarrier(carrier: unknown): HeaderReader {
  try {
    if (carrier === null || (typeof carrier !== 'object' && typeof carrier !== 'function')) return EMPTY;
    if (Array.isArray(carrier)) return EMPTY;
    const get = (carrier as { get?: unknown }).get;
    if (typeof get === 'function') return headersReader(carrier as { get: (name: string) => unknown });
    return recordReader(carrier as Record<string, unknown>);
  } catch {
    return EMPTY;
  }
}
