/**
 * The public configuration of the transformer: `traced.config.json` (next to the tsconfig) and the plugin
 * entry in tsconfig (`{ "transform": "ts-traced/transformer", ...options }`), which is merged over the file.
 * traced.schema.json describes the same keys for editors; keep the two in step.
 */
import type * as ts from 'typescript';
import type { TagValue } from '../../contract';

/** Syntactic kinds of function that config rules can select. */
export type FunctionKindName = 'function' | 'method' | 'arrow' | 'expression' | 'accessor';

/** Execution kinds a rule can be limited to (`async` modifier and `*`). */
export type ExecutionKindName = 'sync' | 'async' | 'generator' | 'asyncGenerator';

/** Name patterns of config rules. */
export interface FunctionPatterns {
  /**
   * Globs matched against the span name (`Class.method`) and against the bare name (`method`); a function is
   * selected when one of them matches. Without `include`, every named function of an included module matches.
   * @example ["*Service.*", "handle*"]
   */
  readonly include?: readonly string[];
  /**
   * Globs as in `include`; a match excludes the function.
   * @default []
   * @example ["toJSON", "get*"]
   */
  readonly exclude?: readonly string[];
}

/** The contents of `traced.config.json`. */
export interface TracedConfig {
  /**
   * `false` turns the transformer into a no-op: the emit equals plain tsc's.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Module globs (picomatch, relative to the config file's folder, `/`-separated) that config rules apply to.
   * Without it, config rules select nothing and only `@traced` and `/** @traced *\/` do.
   * @example ["src/services/**"]
   */
  readonly include?: readonly string[];
  /**
   * Module globs excluded from config rules (markers still apply there).
   * @default []
   * @example ["**\/*.test.ts"]
   */
  readonly exclude?: readonly string[];
  /** Function name patterns of config rules. */
  readonly functions?: FunctionPatterns;
  /**
   * Syntactic kinds config rules select. Accessors (`get`/`set`) only when listed.
   * @default ["function", "method", "arrow", "expression"]
   */
  readonly kinds?: readonly FunctionKindName[];
  /**
   * Execution kinds config rules select, e.g. `["async", "asyncGenerator"]` to trace only asynchronous work.
   * @default ["sync", "async", "generator", "asyncGenerator"]
   */
  readonly async?: readonly ExecutionKindName[];
  /**
   * Config rules select only exported functions, methods of exported classes and methods of exported objects.
   * @default false
   */
  readonly exportedOnly?: boolean;
  /**
   * Spans of rule-selected functions start only inside an existing trace, so start-up code and timers do not
   * become thousands of one-span traces. `@traced` and `/** @traced *\/` ignore this key: an explicit marker
   * starts a root span too (`@traced({ requireActiveTrace: true })` changes that per method).
   * @default true
   */
  readonly requireActiveTrace?: boolean;
  /**
   * Static tags added to every rule-selected span.
   * @default {}
   * @example { "component": "billing" }
   */
  readonly tags?: Readonly<Record<string, TagValue>>;
}

/** The plugin entry in tsconfig: every `TracedConfig` key, which wins over the file, plus `config`. */
export interface TracedPluginOptions extends TracedConfig {
  /**
   * Path of the config file, relative to the tsconfig's folder. Without it, `traced.config.json` next to the
   * tsconfig is used when it exists. A missing file named here is an error.
   */
  readonly config?: string;
}

/** The configuration in effect, defaults applied; what `loadConfig` returns and `selectSites` reads. */
export interface ResolvedConfig {
  readonly enabled: boolean;
  /** Undefined: config rules select nothing. */
  readonly include: readonly string[] | undefined;
  readonly exclude: readonly string[];
  readonly functions: { readonly include: readonly string[] | undefined; readonly exclude: readonly string[] };
  readonly kinds: readonly FunctionKindName[];
  readonly async: readonly ExecutionKindName[];
  readonly exportedOnly: boolean;
  readonly requireActiveTrace: boolean;
  readonly tags: Readonly<Record<string, TagValue>>;
  /** Absolute folder the module globs are relative to: the config file's folder, else the project root. */
  readonly baseDir: string;
  /** Absolute path of the config file read, if any. */
  readonly configFile?: string;
  /** Every `include` glob and `functions.include` pattern in effect, with where it is written. */
  readonly rules: readonly ConfigRule[];
}

/**
 * A config rule: one `include` module glob or one `functions.include` name pattern, and where it is written, so a
 * rule that selects nothing in the whole program can be reported at its line (TT1008).
 */
export interface ConfigRule {
  /** Its key path: `include[0]`, `functions.include[1]`. */
  readonly path: string;
  readonly list: 'include' | 'functions.include';
  readonly index: number;
  readonly pattern: string;
  /** Which of the two sources holds it: traced.config.json, or the tsconfig plugin entry (or options given in code). */
  readonly origin: 'file' | 'options';
  /** The list element in that source's JSON; absent for options given in code. */
  readonly at?: { readonly file: ts.SourceFile; readonly start: number; readonly length: number };
}
