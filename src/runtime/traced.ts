/**
 * The `@traced` decorator. With the compiler plugin it never runs: the plugin removes it and instruments the
 * method in place. Without the plugin (plain `tsc`, a bundler) it still traces, through a wrapper built from
 * the same contract helpers: slower, one extra frame in stack traces, and an async method's promise settles a
 * few microtask ticks later than the original. `args` needs the plugin (parameter names are compile-time
 * facts); `onStart` works in both.
 */
import type { Span } from 'opentracing';
import { SiteKind, type SiteHandle, type TagValue } from '../contract';
import { v1 } from './v1';

export interface TracedOptions<A extends unknown[] = any[]> {
  /** Span operation name. Default: `Class.method`, or the function's name. */
  readonly name?: string;
  /** Static tags added to every span of this function. */
  readonly tags?: Readonly<Record<string, TagValue>>;
  /** Parameter names whose values are recorded as `arg.<name>` tags (plugin only). Nothing is recorded by default. */
  readonly args?: readonly string[];
  /** Called with the new span and the call's arguments, to tag from them. A throw is reported once, never rethrown. */
  readonly onStart?: (span: Span, ...args: A) => void;
  /** Start a span only when one is already active. Default: false for `@traced` and JSDoc, true for config rules. */
  readonly requireActiveTrace?: boolean;
}

type AnyFunction = (this: unknown, ...args: any[]) => any;
type Wrapper = (fn: AnyFunction, site: () => SiteHandle) => AnyFunction;

const KINDS: Record<string, SiteKind> = {
  AsyncFunction: SiteKind.async,
  GeneratorFunction: SiteKind.generator,
  AsyncGeneratorFunction: SiteKind.asyncGenerator,
};

/** One wrapper per kind, each the generated-code shape written by hand around a call of the original. */
const WRAPPERS: Record<SiteKind, Wrapper> = {
  [SiteKind.sync]: (fn, site) =>
    function (this: unknown) {
      const s = v1.enter(site(), arguments);
      try {
        return v1.ret(s, fn.apply(this, arguments as unknown as unknown[]));
      } catch (e) {
        v1.fail(s, e);
        throw e;
      } finally {
        v1.exit(s);
      }
    },
  [SiteKind.async]: (fn, site) =>
    async function (this: unknown) {
      const s = v1.enter(site(), arguments);
      try {
        return v1.ret(s, v1.back(s, await v1.leave(s, fn.apply(this, arguments as unknown as unknown[]))));
      } catch (e) {
        v1.fail(s, e);
        throw e;
      } finally {
        v1.exit(s);
      }
    },
  [SiteKind.generator]: (fn, site) =>
    function* (this: unknown) {
      const s = v1.enter(site(), arguments);
      try {
        return v1.back(s, yield* v1.iter(s, fn.apply(this, arguments as unknown as unknown[])));
      } catch (e) {
        v1.fail(s, e);
        throw e;
      } finally {
        v1.exit(s);
      }
    },
  [SiteKind.asyncGenerator]: (fn, site) =>
    async function* (this: unknown) {
      const s = v1.enter(site(), arguments);
      try {
        return v1.leave(s, v1.back(s, yield* v1.iter(s, fn.apply(this, arguments as unknown as unknown[]))));
      } catch (e) {
        v1.fail(s, e);
        throw e;
      } finally {
        v1.exit(s);
      }
    },
};

/** Wraps `fn` so each call is a span; `name` and `length` are kept. */
function wrap(fn: AnyFunction, options: TracedOptions, owner: () => string | undefined): AnyFunction {
  const kind = KINDS[Object.getPrototypeOf(fn)?.constructor?.name] ?? SiteKind.sync;
  let handle: SiteHandle | undefined;
  const site = () =>
    (handle ??= v1.site(
      {
        name: options.name ?? [owner(), fn.name || '<anonymous>'].filter(Boolean).join('.'),
        kind,
        fn: fn.name || '<anonymous>',
        ns: owner(),
        file: '<runtime>',
        line: 0,
        tags: options.tags,
        requireActive: options.requireActiveTrace,
      },
      { onStart: options.onStart },
    ));
  const wrapper = WRAPPERS[kind](fn, site);
  Object.defineProperty(wrapper, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: fn.length, configurable: true });
  copyMetadata(fn, wrapper);
  return wrapper;
}

type MetadataReflect = typeof Reflect & {
  getOwnMetadataKeys?(target: object): unknown[];
  getOwnMetadata?(key: unknown, target: object): unknown;
  defineMetadata?(key: unknown, value: unknown, target: object): void;
};

/**
 * Frameworks keep decorator metadata on the method itself (Nest's `@Get()` route, with reflect-metadata): a
 * decorator applied before ours must still find it on the wrapper.
 */
function copyMetadata(from: AnyFunction, to: AnyFunction): void {
  const reflect = Reflect as MetadataReflect;
  if (typeof reflect.getOwnMetadataKeys !== 'function' || typeof reflect.defineMetadata !== 'function') return;
  for (const key of reflect.getOwnMetadataKeys(from)) reflect.defineMetadata(key, reflect.getOwnMetadata!(key, from), to);
}

function isDecoratorContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

type MethodDecorator = <T extends AnyFunction>(target: any, context: any, descriptor?: PropertyDescriptor) => any;

/**
 * Marks a method (or wraps a function) to be traced: `@traced`, `@traced({ name, tags, args, onStart })`,
 * or `traced(options)(fn)`. Works with TypeScript's `experimentalDecorators` and with standard decorators.
 */
export function traced(options?: TracedOptions): MethodDecorator & (<F extends AnyFunction>(fn: F) => F);
export function traced(target: object, key: string | symbol, descriptor: PropertyDescriptor): any;
export function traced<F extends AnyFunction>(value: F, context: ClassMethodDecoratorContext): F;
export function traced(...args: any[]): any {
  if (args.length >= 2) return decorate({}, args[0], args[1], args[2]);
  const options: TracedOptions = args[0] ?? {};
  return (target: any, context?: any, descriptor?: PropertyDescriptor) =>
    context === undefined && typeof target === 'function'
      ? wrap(target, options, () => undefined)
      : decorate(options, target, context, descriptor);
}

function decorate(options: TracedOptions, target: any, context: any, descriptor?: PropertyDescriptor): any {
  if (isDecoratorContext(context)) {
    if (context.kind !== 'method') return undefined;
    let owner: string | undefined;
    context.addInitializer(function (this: any) {
      owner ??= typeof this === 'function' ? this.name : this?.constructor?.name;
    });
    return wrap(target, options, () => owner);
  }
  if (descriptor && typeof descriptor.value === 'function') {
    const owner = typeof target === 'function' ? target.name : target?.constructor?.name;
    return { ...descriptor, value: wrap(descriptor.value, options, () => owner) };
  }
  return descriptor;
}

/** Opts a function out of tracing selected by a config rule. At run time it changes nothing. */
export function untraced(...args: any[]): any {
  if (args.length >= 2) return args.length === 3 ? args[2] : undefined;
  return (_target: unknown, _context?: unknown, descriptor?: PropertyDescriptor) => descriptor;
}
