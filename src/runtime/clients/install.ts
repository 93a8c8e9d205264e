/**
 * The shape every client wrapper shares: `install(options)`, `uninstall()`, idempotent, version-checked, with
 * `requestHook`/`responseHook` that can never hurt the call. A wrapper only describes how to patch its library
 * (`patch(exports, options) → undo`); loading, version checks and bookkeeping live here, once.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Span, Tracer } from 'opentracing';
import { reportFault } from '../safe';

/** Options every wrapper accepts; wrappers extend it with their own. */
export interface ClientOptions<Req = unknown, Res = unknown> {
  /** Called with the span and the library's request/query/command object before it is sent. A throw is reported once. */
  readonly requestHook?: (span: Span, request: Req) => void;
  /** Called with the span and the library's response/result (python-instrumentation's `response_handler_hook`). */
  readonly responseHook?: (span: Span, response: Res) => void;
  /** The library's exports to patch, when it is not resolvable from the process's working directory. */
  readonly module?: unknown;
  /** `peer.service` tag for the spans of this library. */
  readonly peerService?: string;
  /** A tracer for this wrapper only (default: the one set with `setTracer`). */
  readonly tracer?: Tracer;
}

export interface ClientWrapper<O extends ClientOptions<any, any> = ClientOptions> {
  /** The npm package it wraps, e.g. `pg`. */
  readonly name: string;
  /** Supported major versions, for the message when the installed one is not. */
  readonly supported: string;
  /** Patches the library; a second call changes nothing. Throws a clear error when the library is absent or unsupported. */
  install(options?: O): void;
  /** Restores the library as it was; a second call changes nothing. */
  uninstall(): void;
  readonly installed: boolean;
  /** True when the library can be loaded from here (what `installAllPatches` checks). */
  isPresent(): boolean;
}

export interface WrapperSpec<O extends ClientOptions<any, any>> {
  readonly name: string;
  /** Major versions supported, e.g. `[8]`. */
  readonly majors: readonly number[];
  /** Finds the library when it is not a package resolvable by `name` (a Node builtin, a package's submodule). */
  load?(): { exports: unknown; version: string | undefined } | undefined;
  /** Patches `exports` for these options and returns how to undo it. */
  patch(exports: any, options: O): () => void;
}

export class ClientInstallError extends Error {
  override readonly name = 'ClientInstallError';
}

function loadFromApp(name: string): { exports: unknown; version: string | undefined } | undefined {
  const req = createRequire(join(process.cwd(), 'noop.js'));
  for (const from of [req, require]) {
    try {
      const path = from.resolve(name);
      const exports = from(path);
      let version: string | undefined;
      try {
        version = (from(join(packageRoot(path, name), 'package.json')) as { version?: string }).version;
      } catch {
        version = undefined;
      }
      return { exports, version };
    } catch {
      // Try the next resolution base.
    }
  }
  return undefined;
}

/** The folder of package `name` that contains `file`. */
function packageRoot(file: string, name: string): string {
  const marker = join('node_modules', name);
  const at = file.lastIndexOf(marker);
  return at >= 0 ? file.slice(0, at + marker.length) : dirname(file);
}

export function defineWrapper<O extends ClientOptions<any, any>>(spec: WrapperSpec<O>): ClientWrapper<O> {
  let undo: (() => void) | undefined;
  const load = () => (spec.load ? spec.load() : loadFromApp(spec.name));
  const supported = spec.majors.map((m) => `${m}.x`).join(', ');
  return {
    name: spec.name,
    supported,
    get installed() {
      return undo !== undefined;
    },
    isPresent() {
      return load() !== undefined;
    },
    install(options = {} as O) {
      if (undo) return;
      const loaded = options.module !== undefined ? { exports: options.module, version: undefined } : load();
      if (!loaded) throw new ClientInstallError(`ts-traced: cannot trace ${spec.name}: it is not installed (npm install ${spec.name})`);
      const major = loaded.version === undefined ? undefined : Number(loaded.version.split('.')[0]);
      if (major !== undefined && !spec.majors.includes(major)) {
        throw new ClientInstallError(
          `ts-traced: ${spec.name} ${loaded.version} is not supported (supported: ${supported}); its calls are not traced`,
        );
      }
      undo = spec.patch(loaded.exports, options);
    },
    uninstall() {
      const restore = undo;
      undo = undefined;
      restore?.();
    },
  };
}

/** Runs a user hook so it can never hurt the call. */
export function runHook<A>(hook: ((span: Span, arg: A) => void) | undefined, span: Span, arg: A, kind: string): void {
  if (hook === undefined) return;
  try {
    hook(span, arg);
  } catch (error) {
    reportFault(kind, error);
  }
}

const ORIGINAL = Symbol.for('ts-traced.original');

/**
 * Replaces `target[key]` with `wrap(original)`, keeping `name` and `length`, and returns the undo. Wrapping an
 * already wrapped method wraps the original, so installing twice never stacks.
 */
export function wrapMethod<T extends object, K extends keyof T>(
  target: T,
  key: K,
  wrap: (original: T[K] & ((...args: any[]) => any)) => (...args: any[]) => any,
): () => void {
  const current = target[key] as any;
  if (typeof current !== 'function') return () => {};
  const original = current[ORIGINAL] ?? current;
  const had = Object.prototype.hasOwnProperty.call(target, key);
  const wrapped = wrap(original);
  Object.defineProperty(wrapped, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: original.length, configurable: true });
  Object.defineProperty(wrapped, ORIGINAL, { value: original });
  target[key] = wrapped as T[K];
  return () => {
    if (target[key] !== (wrapped as unknown)) return; // someone wrapped it after us: leave their wrapper alone
    if (had) target[key] = current;
    else delete target[key];
  };
}
