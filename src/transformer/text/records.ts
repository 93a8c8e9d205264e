/**
 * The module-level text the rewrite adds: the runtime import, the version check and one site record per
 * traced function, the same statements the AST rewrite emits (rewrite/imports.ts, rewrite/site-record.ts),
 * written as source text on one line.
 *
 * @example
 *   import * as __traced from "ts-traced/runtime"; __traced.requireVersion(1); function $site_1() { return __traced.v1.site({ name: "priceOf", kind: 0, fn: "priceOf", file: "src/pricing.ts", line: 7 }); }
 */
import { CONTRACT_VERSION, HELPER, RUNTIME_MODULE, VERSION_CHECK, VERSION_KEY, type HelperName, type SiteRecord, type TagValue } from '../../contract';
import type { Site } from '../select/site';

/** `__traced.v1.enter`: the text of a helper reference. */
export function helper(namespace: string, name: HelperName): string {
  return `${namespace}.${VERSION_KEY}.${HELPER[name]}`;
}

/** The import (an ES import, or a `require` in a CommonJS script) and the version check. */
export function runtimeImport(namespace: string, form: 'import' | 'require'): string {
  const specifier = JSON.stringify(RUNTIME_MODULE);
  const load =
    form === 'import' ? `import * as ${namespace} from ${specifier};` : `const ${namespace} = require(${specifier});`;
  return `${load} ${namespace}.${VERSION_CHECK}(${CONTRACT_VERSION});`;
}

/**
 * `function $site_N() { return __traced.v1.site({...}); }`, or with run-time options `var $site_N = __traced.v1.site({...}, dynamic);`
 * (see rewrite/site-record.ts), with the record's keys in `SiteRecord` order.
 */
export function siteDeclaration(namespace: string, site: Site, name: string, dynamic?: string): string {
  const record: Record<keyof SiteRecord, string | undefined> = {
    name: JSON.stringify(site.name),
    kind: literal(site.kind),
    fn: JSON.stringify(site.fn),
    ns: site.ns === undefined ? undefined : JSON.stringify(site.ns),
    file: JSON.stringify(site.file),
    line: literal(site.line),
    tags: site.tags && Object.keys(site.tags).length > 0 ? object(site.tags) : undefined,
    args: site.args?.length ? `[${site.args.map((a) => object({ name: a.name, index: a.index })).join(', ')}]` : undefined,
    requireActive: site.requireActive ? 'true' : undefined,
  };
  const properties = Object.entries(record).flatMap(([key, value]) => (value === undefined ? [] : [`${key}: ${value}`]));
  const fields = `{ ${properties.join(', ')} }`;
  if (dynamic === undefined) return `function ${name}() { return ${helper(namespace, 'site')}(${fields}); }`;
  return `var ${name} = ${helper(namespace, 'site')}(${fields}, ${dynamic});`;
}

/** `{ key: value }` with keys that are not identifiers quoted, and `__proto__` computed so it stays an own property. */
function object(values: Readonly<Record<string, TagValue>>): string {
  const properties = Object.entries(values).map(([key, value]) => {
    const name = key === '__proto__' ? `["__proto__"]` : /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
    return `${name}: ${literal(value)}`;
  });
  return properties.length ? `{ ${properties.join(', ')} }` : '{}';
}

/** A literal that cannot be shadowed: non-finite numbers as divisions, `-0` kept. */
function literal(value: TagValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (Number.isNaN(value)) return '(0 / 0)';
  if (!Number.isFinite(value)) return value > 0 ? '(1 / 0)' : '(-1 / 0)';
  return Object.is(value, -0) ? '-0' : String(value);
}
