/**
 * Checks a config value against traced.schema.json (the schema editors use) and turns each fault into a
 * `TracedError` with the offending key path (`functions.exclude[1]`) and the JSON node to report it at, so
 * tsc prints `traced.config.json:4:5 - error TS91002: TT1002: functions.exclude: must be an array of strings.`
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import picomatch from 'picomatch';
import type * as ts from 'typescript';
import { tracedError, type TracedError } from '../diagnostics';

type TS = typeof import('typescript');
type Schema = { readonly [key: string]: any };

/** A fault in a config value, with the JSON node it concerns when the value came from a file. */
export interface ConfigFault {
  readonly error: TracedError;
  readonly node?: ts.Node;
}

/** The shipped schema: this file sits at `<package>/{src,dist}/transformer/config/`. */
export const SCHEMA_PATH = join(__dirname, '..', '..', '..', 'traced.schema.json');

let validators: { file: ValidateFunction; options: ValidateFunction } | undefined;

/** The file schema, and the plugin-options schema: the same keys plus `config`. */
function validatorsOf() {
  if (!validators) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Schema;
    const options = {
      ...schema,
      $id: `${schema.$id}#options`,
      properties: { ...schema.properties, config: { type: 'string', minLength: 1 } },
    };
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true });
    validators = { file: ajv.compile(schema), options: ajv.compile(options) };
  }
  return validators;
}

/** `['functions', 'exclude', 1]` → `functions.exclude[1]`. */
export function keyPath(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('') || '(root)';
}

/** The value at `segments` in a parsed config (`['functions', 'include']`), or undefined. */
export function valueAt(value: unknown, segments: readonly (string | number)[]): unknown {
  return segments.reduce<any>((v, k) => v?.[k], value);
}

/** The property (its key) or array element at `segments` under `root`, as far as the path exists. */
export function nodeAt(ts: TS, root: ts.Node | undefined, segments: readonly (string | number)[]): ts.Node | undefined {
  let node = root;
  let report = root;
  for (const segment of segments) {
    if (node && ts.isObjectLiteralExpression(node)) {
      const property = [...node.properties]
        .reverse()
        .find((p) => p.name && (ts.isStringLiteral(p.name) || ts.isIdentifier(p.name)) && p.name.text === segment);
      if (!property || !ts.isPropertyAssignment(property)) return report;
      report = property.name;
      node = property.initializer;
    } else if (node && ts.isArrayLiteralExpression(node) && typeof segment === 'number') {
      report = node = node.elements[segment];
    } else return report;
  }
  return report;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  object: 'an object',
  array: 'an array',
};

/** What a schema accepts, in words: `an array of strings`, `one of "sync", "async"`. */
function describe(schema: Schema): string {
  if (schema.enum) return `one of ${schema.enum.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
  if (schema.$ref === '#/definitions/globs' || (schema.type === 'array' && schema.items?.type === 'string'))
    return 'an array of strings';
  if (schema.type === 'array' && schema.items?.enum)
    return `an array of ${schema.items.enum.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
  if (Array.isArray(schema.type)) return `a ${schema.type.join(', ').replace(/, (\w+)$/, ' or $1')}`;
  if (schema.type === 'string' && schema.minLength) return 'a non-empty string';
  return TYPE_NAMES[schema.type] ?? 'valid';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known key closest to `key` (case-insensitive, at most a third of its letters off). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const scored = known.map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const);
  const best = scored.sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= Math.max(1, Math.floor(key.length / 3)) ? best[0] : undefined;
}

function faultOf(ts: TS, error: ErrorObject, root: ts.Node | undefined): ConfigFault {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const parentSchema = (error.parentSchema ?? {}) as Schema;
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const full = [...segments, key];
    const suggestion = closestKey(key, Object.keys(parentSchema.properties ?? {}));
    return { error: tracedError('TT1003', { path: keyPath(full), suggestion }), node: nodeAt(ts, root, full) };
  }
  // A wrong type is described by the type alone ("a string", not "a non-empty string"); an array with its items.
  const byType = error.keyword === 'type' && parentSchema.type !== 'array';
  const expected =
    error.keyword === 'uniqueItems' ? 'a list without duplicates' : describe(byType ? { type: parentSchema.type } : parentSchema);
  return { error: tracedError('TT1002', { path: keyPath(segments), expected }), node: nodeAt(ts, root, segments) };
}

/** Globs that picomatch cannot compile (an unclosed `[`, `{` or `(`). */
function globFaults(ts: TS, value: Schema, root: ts.Node | undefined): ConfigFault[] {
  const lists: (string | number)[][] = [['include'], ['exclude'], ['functions', 'include'], ['functions', 'exclude']];
  const faults: ConfigFault[] = [];
  for (const path of lists) {
    const list = valueAt(value, path);
    if (!Array.isArray(list)) continue;
    list.forEach((glob, i) => {
      if (typeof glob !== 'string' || !glob) return; // the schema reports these
      try {
        picomatch.makeRe(glob, { strictBrackets: true });
      } catch (e) {
        const at = [...path, i];
        const error = tracedError('TT1006', { path: keyPath(at), reason: (e as Error).message });
        faults.push({ error, node: nodeAt(ts, root, at) });
      }
    });
  }
  return faults;
}

/**
 * The faults of `value` (a parsed config file, or plugin options when `kind` is `options`), in source order.
 * `root` is the JSON node the value was read from, for positions.
 */
export function validateConfig(ts: TS, value: unknown, kind: 'file' | 'options', root?: ts.Node): ConfigFault[] {
  const validate = validatorsOf()[kind];
  const schemaFaults = validate(value) ? [] : (validate.errors ?? []).map((e) => faultOf(ts, e, root));
  const faults = [...schemaFaults, ...globFaults(ts, value as Schema, root)];
  return faults.sort((a, b) => (a.node?.pos ?? 0) - (b.node?.pos ?? 0));
}
