/**
 * The generated-code contract: the only module the transformer and the runtime share.
 *
 * Instrumented code calls a small, versioned surface of the runtime. The transformer builds its calls
 * from the names below; the runtime proves it implements them with `satisfies RuntimeV1`. Renaming a
 * helper therefore breaks the build of this package, never a user's program. This file imports nothing.
 */

/** Version of the surface emitted code calls (`__traced.v1`). A runtime that lacks it fails at load. */
export const CONTRACT_VERSION = 1;

/** Module specifier of the runtime that emitted code imports. */
export const RUNTIME_MODULE = 'ts-traced/runtime';

/** Name of the namespace import emitted code uses: `import * as __traced from 'ts-traced/runtime'`. */
export const NAMESPACE = '__traced';

/** Property of the runtime module that holds this version's helpers. */
export const VERSION_KEY = `v${CONTRACT_VERSION}` as const;

/**
 * Emitted once per file, right after the import: `__traced.requireVersion(1);`. Every runtime exports it, so
 * code compiled for a contract version the installed runtime lacks fails at load with both versions named.
 */
export const VERSION_CHECK = 'requireVersion';

/** Helper names, as emitted: `__traced.v1.<name>(...)`. */
export const HELPER = {
  /**
   * Makes a site's handle from its record. Static records are hoisted function declarations,
   * `function $site_1() { return __traced.v1.site({...}); }`, called by `enter` at the first traced call; records
   * with run-time options are `var $site_2 = __traced.v1.site({...}, options)`, made where the module runs them.
   */
  site: 'site',
  /** First statement of the body: starts the span, activates it; `undefined` when nothing records. */
  enter: 'enter',
  /** `return e` → `return __traced.v1.ret($s, e)`: sees the returned value, returns it untouched. */
  ret: 'ret',
  /** Outer `catch ($e)`: tags the error; the generated code rethrows `$e` itself. */
  fail: 'fail',
  /** Outer `finally`: finishes the span (unless `ret` handed it to a promise) and restores the caller's context. */
  exit: 'exit',
  /** Before a suspension (`await`, `yield`): restores the context of whoever resumed this segment. */
  leave: 'leave',
  /** After a resumption, and first in a `catch`/`finally` entered after one: re-activates the span. */
  back: 'back',
  /** `for await (x of iter($s, src))` and `yield* iter($s, src)`: leaves around the inner iterator's steps. */
  iter: 'iter',
} as const;
export type HelperName = (typeof HELPER)[keyof typeof HELPER];

/** What kind of function a site is; decided at compile time, so no call pays for detecting it. */
export const SiteKind = {
  sync: 0,
  async: 1,
  generator: 2,
  asyncGenerator: 3,
} as const;
export type SiteKind = (typeof SiteKind)[keyof typeof SiteKind];

/** Tag values a site may carry statically. */
export type TagValue = string | number | boolean;

/**
 * Static description of one traced function, emitted once per function as an object literal.
 * Everything here is known at compile time; nothing is rebuilt per call.
 */
export interface SiteRecord {
  /** Span operation name, e.g. `Orders.place`. */
  readonly name: string;
  readonly kind: SiteKind;
  /** `code.function`: the function's own name (`place`, `<anonymous>`). */
  readonly fn: string;
  /** `code.namespace`: the enclosing class or object name, when there is one. */
  readonly ns?: string;
  /** `code.filepath`, relative to the project root (the tsconfig's folder). */
  readonly file: string;
  /** `code.lineno`, 1-based. */
  readonly line: number;
  /** Extra static tags (from the decorator's or the config's `tags`). */
  readonly tags?: Readonly<Record<string, TagValue>>;
  /**
   * Parameters recorded as tags (`args`), by position in the call's arguments. Only when the user asked:
   * argument values are never recorded by default.
   */
  readonly args?: readonly { readonly name: string; readonly index: number }[];
  /** Start a span only when a span is already active (python-instrumentation's `require_active_trace`). */
  readonly requireActive?: boolean;
}

/**
 * Options that are only known at run time, passed as `site(record, dynamic)`: the expression the user wrote
 * in `@traced({...})`, evaluated once at module load. Only `onStart` is read from it.
 */
export interface SiteDynamic {
  /** Called with the new span and the call's arguments, to tag from them. A throw is caught and reported once. */
  readonly onStart?: (span: any, ...args: any[]) => void;
}

/** Opaque per-site handle returned by `site()`; emitted code only passes it back to `enter`. */
export interface SiteHandle {
  readonly record: SiteRecord;
}

/**
 * A static record as emitted: a function declaration that returns `site(record)`. Declarations are initialised
 * before any statement of their module runs, so a function called before its module's body (through an import
 * cycle, or after the requires a bundler hoists above the records) finds its record.
 */
export type SiteSource = () => SiteHandle;

/**
 * Opaque per-call state returned by `enter`: `undefined` when no span was started (no tracer, sampled out,
 * `requireActive` without an active span, or a tracer fault), so every other helper starts with one check.
 */
export type CallState = object | undefined;

/**
 * The surface emitted code calls, version 1.
 *
 * Per call, for a sync function:
 * ```js
 * const $s = __traced.v1.enter($site_1);
 * try { ...body, with `return e` as `return __traced.v1.ret($s, e)`... }
 * catch ($e) { __traced.v1.fail($s, $e); throw $e; }
 * finally { __traced.v1.exit($s); }
 * ```
 * In async functions and generators `await x` becomes `__traced.v1.back($s, await __traced.v1.leave($s, x))`,
 * `yield x` likewise, and a user `catch`/`finally` that may run after a suspension starts with
 * `__traced.v1.back($s);`. `leave`/`back` return their argument untouched: no extra microtask tick.
 */
export interface RuntimeModule {
  /** Throws a message naming both versions when `version` is not one this runtime provides. */
  requireVersion(version: number): void;
  readonly v1: RuntimeV1;
}

export interface RuntimeV1 {
  site(record: SiteRecord, dynamic?: SiteDynamic): SiteHandle;
  /**
   * `site` is a static record's `SiteSource`, called once, at the first call that records; or a handle made by
   * `site(record, options)`, which is `undefined` when the function runs before its module made it (those records
   * are `var`s, so such a call runs untraced instead of throwing). `args` is passed only for sites with `args` or
   * `onStart`: `arguments` in ordinary functions and methods, an array of the parameters (`[a, b, ...rest]`) in
   * arrow functions.
   */
  enter(site: SiteHandle | SiteSource | undefined, args?: ArrayLike<unknown>): CallState;
  ret<T>(state: CallState, value: T): T;
  fail(state: CallState, error: unknown): void;
  exit(state: CallState): void;
  leave<T>(state: CallState, value: T): T;
  back<T>(state: CallState, value?: T): T;
  iter<T>(state: CallState, iterable: T): T;
}
