/**
 * Finds and reads the configuration: `traced.config.json` next to the tsconfig (or the file named by the
 * `config` plugin option), with the plugin options from tsconfig merged over it. The JSON is parsed by the
 * host TypeScript, so comments and trailing commas are allowed (as in tsconfig.json) and every fault has a
 * position. Never throws: faults come back as diagnostics, and a source with faults is left out (markers
 * still work; the compile reports the errors).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as ts from 'typescript';
import { reasonOf, toDiagnostic, tracedError, TracedError } from '../diagnostics';
import { DEFAULTS } from './defaults';
import { rulesOf, type ConfigSource } from './rules';
import type { ResolvedConfig, TracedConfig, TracedPluginOptions } from './types';
import { nodeAt, validateConfig, type ConfigFault } from './validate';

type TS = typeof import('typescript');

/** The implicit config file name, looked for in the project root. */
export const CONFIG_FILE = 'traced.config.json';

/** Keys ts-patch (and tsserver) put in a plugin entry: they are theirs, not ours, so they are ignored. */
const HOST_KEYS = [
  'transform',
  'name',
  'import',
  'isEsm',
  'type',
  'after',
  'afterDeclarations',
  'transformProgram',
  'resolvePathAliases',
  'tsConfig',
];

export interface LoadConfigOptions {
  /** The tsconfig's folder (the cwd without a Program): where `traced.config.json` is looked for. */
  readonly projectRoot: string;
  /** The tsconfig file, to point at the plugin entry when an option is wrong. */
  readonly tsconfigPath?: string;
  /** Keys of the plugin options their caller read for itself (`createTransformer`'s `program`...): not ours. */
  readonly callerKeys?: readonly string[];
}

/**
 * One key of options given in code, read by the function they were given to (`tsconfig`, `onDiagnostic`...);
 * `undefined` when it cannot be read: the loader, handed the same options, reports them as TT1009.
 */
export function hostOption(options: unknown, key: string): unknown {
  try {
    return typeof options === 'object' && options !== null ? (options as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

export interface LoadedConfig {
  readonly config: ResolvedConfig;
  /** TT1xxx faults, positioned in traced.config.json or in the tsconfig's plugin entry. */
  readonly diagnostics: readonly ts.Diagnostic[];
}

/** A JSON document parsed by the host TypeScript: its syntax tree and its value. */
interface JsonDocument {
  readonly file: ts.JsonSourceFile;
  readonly root?: ts.Expression;
  readonly value: unknown;
}

/** "The root value of a '{0}' file must be an object": reported as TT1007 instead. */
const ROOT_NOT_OBJECT = 5092;

function parseJson(ts: TS, fileName: string, text: string): { doc?: JsonDocument; fault?: ts.Diagnostic } {
  const clean = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const file = ts.parseJsonText(fileName, clean);
  const syntax = ts.parseConfigFileTextToJson(fileName, clean).error;
  if (syntax && syntax.code !== ROOT_NOT_OBJECT) {
    const reason = ts.flattenDiagnosticMessageText(syntax.messageText, ' ').replace(/\.$/, '');
    const span = { start: syntax.start ?? 0, length: syntax.length ?? 1 };
    return { fault: toDiagnostic(ts, file, span, tracedError('TT1001', { reason })) };
  }
  const root = file.statements[0]?.expression;
  return { doc: { file, root, value: root ? ts.convertToObject(file, []) : {} } };
}

/** Text of a config file, or why there is none. */
function readText(path: string): { text: string } | { missing: true } | { unreadable: string } {
  try {
    if (statSync(path).isDirectory()) return { unreadable: 'it is a directory' };
    return { text: readFileSync(path, 'utf8') };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { missing: true } : { unreadable: (e as Error).message };
  }
}

/** The plugin entry `{ "transform": "ts-traced/transformer", ... }` in the tsconfig, for positions. */
function findPluginEntry(
  ts: TS,
  tsconfigPath: string | undefined,
): { file: ts.JsonSourceFile; entry: ts.Node } | undefined {
  const read = tsconfigPath ? readText(tsconfigPath) : undefined;
  const doc = read && 'text' in read ? parseJson(ts, tsconfigPath!, read.text).doc : undefined;
  const value = doc?.value as { compilerOptions?: { plugins?: unknown } } | undefined;
  const plugins = value?.compilerOptions?.plugins;
  if (!doc || !Array.isArray(plugins)) return undefined;
  const index = plugins.findIndex((p) => typeof p?.transform === 'string' && p.transform.includes('ts-traced'));
  const entry = index < 0 ? undefined : nodeAt(ts, doc.root, ['compilerOptions', 'plugins', index]);
  return entry && ts.isObjectLiteralExpression(entry) ? { file: doc.file, entry } : undefined;
}

/**
 * Plugin options as plain data, each property read once. The tsconfig gives JSON, but options passed in code may
 * hold getters or Proxies: one that throws does so here, where it becomes a diagnostic, never later in validation
 * or merging, out of the host's compiler.
 */
function plainCopy(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (copies.has(value)) return copies.get(value);
  const copy: object = Array.isArray(value) ? [] : {};
  copies.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    // Defined, not assigned: a `__proto__` key stays a key.
    Object.defineProperty(copy, key, { value: plainCopy(item, copies), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

export function loadConfig(ts: TS, pluginOptions: unknown, options: LoadConfigOptions): LoadedConfig {
  const diagnostics: ts.Diagnostic[] = [];
  const plugin = findPluginEntry(ts, options.tsconfigPath);
  const where = `the ts-traced plugin options${options.tsconfigPath ? ` in ${options.tsconfigPath}` : ''}`;
  /** An option fault at its key in the tsconfig when the entry was found, else naming the options (unless `named`). */
  const reportOption = ({ error, node }: ConfigFault, named = false) => {
    if (plugin && node) return void diagnostics.push(toDiagnostic(ts, plugin.file, node, error));
    const located = named ? error : new TracedError(error.code, `${error.message} (${where})`);
    diagnostics.push(toDiagnostic(ts, undefined, undefined, located));
  };

  const theirs = [...HOST_KEYS, ...(options.callerKeys ?? [])];
  let ours: TracedPluginOptions = {};
  try {
    if (typeof pluginOptions === 'object' && pluginOptions !== null) {
      // Their keys are left unread: a Program is not copied.
      const entries = Object.entries(pluginOptions).filter(([k]) => !theirs.includes(k));
      ours = plainCopy(Object.fromEntries(entries)) as TracedPluginOptions;
    }
  } catch (error) {
    reportOption({ error: tracedError('TT1009', { from: where, reason: reasonOf(error) }), node: plugin?.entry }, true);
  }
  const optionFaults = validateConfig(ts, ours, 'options', plugin?.entry);
  for (const fault of optionFaults) reportOption(fault);
  const fromOptions = optionFaults.length ? {} : ours;

  const explicit = fromOptions.config === undefined ? undefined : resolve(options.projectRoot, fromOptions.config);
  const path = explicit ?? resolve(options.projectRoot, CONFIG_FILE);
  const read = readText(path);
  let fromFile: ConfigSource = { value: {} };
  let usedFile: string | undefined;
  if ('text' in read) {
    const { doc, fault } = parseJson(ts, path, read.text);
    if (!doc) diagnostics.push(fault!);
    else if (doc.root && !ts.isObjectLiteralExpression(doc.root))
      diagnostics.push(toDiagnostic(ts, doc.file, doc.root, tracedError('TT1007', {})));
    else {
      const faults = validateConfig(ts, doc.value, 'file', doc.root);
      for (const f of faults) diagnostics.push(toDiagnostic(ts, doc.file, f.node, f.error));
      if (!faults.length) [fromFile, usedFile] = [{ value: doc.value as TracedConfig, json: doc }, path];
    }
  } else if (explicit || 'unreadable' in read) {
    const from = explicit && where;
    const error =
      'missing' in read
        ? tracedError('TT1004', { file: path, from: where })
        : tracedError('TT1005', { file: path, from, reason: read.unreadable });
    reportOption({ error, node: explicit && plugin ? nodeAt(ts, plugin.entry, ['config']) : undefined }, true);
  }
  const optionSource: ConfigSource = { value: fromOptions, json: plugin && { file: plugin.file, root: plugin.entry } };
  const config = merge(fromFile.value, fromOptions, usedFile ? dirname(usedFile) : options.projectRoot, usedFile);
  return { config: { ...config, rules: rulesOf(ts, fromFile, optionSource) }, diagnostics };
}

/** Defaults, then the file, then the plugin options; `functions` and `tags` merge key by key. */
function merge(
  file: TracedConfig,
  options: TracedConfig,
  baseDir: string,
  configFile: string | undefined,
): Omit<ResolvedConfig, 'rules'> {
  const pick = <K extends keyof TracedConfig>(key: K) => options[key] ?? file[key];
  return {
    enabled: pick('enabled') ?? DEFAULTS.enabled,
    include: pick('include'),
    exclude: pick('exclude') ?? DEFAULTS.exclude,
    functions: {
      include: options.functions?.include ?? file.functions?.include,
      exclude: options.functions?.exclude ?? file.functions?.exclude ?? DEFAULTS.functions.exclude,
    },
    kinds: pick('kinds') ?? DEFAULTS.kinds,
    async: pick('async') ?? DEFAULTS.async,
    exportedOnly: pick('exportedOnly') ?? DEFAULTS.exportedOnly,
    requireActiveTrace: pick('requireActiveTrace') ?? DEFAULTS.requireActiveTrace,
    tags: { ...DEFAULTS.tags, ...file.tags, ...options.tags },
    baseDir,
    configFile,
  };
}
