/**
 * The contract's version 1: what instrumented code calls, around its unchanged body.
 *
 * `enter` returns `undefined` when nothing records, and every other helper starts with that one check, so an
 * untraced call costs a property read and a comparison. When recording, one `Call` object per call holds the
 * span and the context to hand back at the next suspension (see DESIGN, "whose context a suspension restores").
 */
import { types } from 'node:util';
import type { Span, Tracer } from 'opentracing';
import {
  SiteKind,
  type CallState,
  type RuntimeV1,
  type SiteDynamic,
  type SiteHandle,
  type SiteRecord,
  type SiteSource,
  type TagValue,
} from '../contract';
import { tagError } from './errors';
import { finishSafely, reportFault, startSpanSafely } from './safe';
import { state } from './state';
import { TAG } from './tags';
import { tagValue } from './tag-value';

interface Site extends SiteHandle {
  readonly name: string;
  readonly kind: SiteKind;
  /** Static tags, built once: code location plus the user's tags. */
  readonly tags: Record<string, TagValue>;
  readonly args: SiteRecord['args'];
  readonly onStart: SiteDynamic['onStart'];
  readonly requireActive: boolean;
}

class Call {
  /** True between `leave` and the next `back`: the context current now belongs to whoever resumed us. */
  suspended = false;
  /** `ret` handed the finish to the returned promise. */
  deferred = false;
  /** While a segment of this call runs: the call whose segment was running when it started (see `closeAbove`). */
  below: Call | undefined = undefined;
  /** Set right after the call is linked, so no overflow can fall between a started span and its link. */
  span!: Span;
  constructor(
    readonly kind: SiteKind,
    /** The context to restore when this segment suspends or ends. */
    public outer: Span | undefined,
  ) {}
}

const promiseThen = Promise.prototype.then;

/** The call whose segment runs now (innermost first, linked by `below`): a segment starts, suspends or ends. */
let running: Call | undefined;

function site(record: SiteRecord, dynamic?: SiteDynamic): SiteHandle {
  const tags: Record<string, TagValue> = {
    [TAG.codeFunction]: record.fn,
    [TAG.codeFilepath]: record.file,
    [TAG.codeLineno]: record.line,
  };
  if (record.ns !== undefined) tags[TAG.codeNamespace] = record.ns;
  if (record.tags) Object.assign(tags, record.tags);
  const handle: Site = {
    record,
    name: record.name,
    kind: record.kind,
    tags,
    args: record.args,
    onStart: typeof dynamic?.onStart === 'function' ? dynamic.onStart : undefined,
    requireActive: record.requireActive === true,
  };
  return handle;
}

/** A static record's handle, kept on its `SiteSource` once the first recording call made it. */
const HANDLE = Symbol('ts-traced.site');
type Source = SiteSource & { [HANDLE]?: Site };

function enter(site: SiteHandle | SiteSource | undefined, args?: ArrayLike<unknown>): CallState {
  const tracer = state.tracer;
  if (tracer === undefined) return undefined;
  return start(tracer, site as Site | Source | undefined, args);
}

function start(tracer: Tracer, given: Site | Source | undefined, args: ArrayLike<unknown> | undefined): Call | undefined {
  const site = typeof given === 'function' ? (given[HANDLE] ??= given() as Site) : given;
  if (site === undefined) return undefined; // called before its module made the record: runs untraced
  const storage = state.storage!;
  const outer = storage.getStore();
  let parent = outer;
  if (parent === undefined && state.provider !== undefined) {
    try {
      parent = state.provider() ?? undefined;
    } catch (error) {
      reportFault('activeSpanProvider', error);
    }
  }
  if (parent === undefined && site.requireActive) return undefined;
  const call = new Call(site.kind, outer);
  call.below = running;
  running = call;
  const span = startSpanSafely(tracer, site.name, parent === undefined ? { tags: site.tags } : { childOf: parent, tags: site.tags });
  if (span === undefined) {
    running = call.below;
    return undefined;
  }
  call.span = span;
  if (args !== undefined) describeArgs(span, site, args);
  storage.enterWith(span);
  return call;
}

/** Tags the parameters the user named in `args` and runs `onStart`; only for sites that asked. */
function describeArgs(span: Span, site: Site, args: ArrayLike<unknown>): void {
  if (site.args !== undefined) {
    for (const { name, index } of site.args) {
      try {
        span.setTag(`${TAG.argPrefix}${name}`, tagValue(args[index], name));
      } catch (error) {
        reportFault('span.setTag', error);
      }
    }
  }
  if (site.onStart !== undefined) {
    try {
      site.onStart(span, ...Array.from(args));
    } catch (error) {
      reportFault('hook.onStart', error);
    }
  }
}

function finish(call: Call): void {
  if (overflow === undefined) return finishSafely(call.span);
  const at = now();
  later(() => finishSafely(call.span, at));
}

/**
 * Set from the moment a stack overflow is seen to cut segments off until a microtask runs: the spans that end
 * meanwhile are tagged and finished there, from an empty stack, because the frames unwinding from the overflow
 * may have too little left for the tracer's `finish` (which then fails) or even for ours (which is skipped).
 */
let overflow: (() => void)[] | undefined;

function later(step: () => void): void {
  if (overflow === undefined) {
    queueMicrotask(endOverflow);
    overflow = [];
  }
  overflow.push(step);
}

function endOverflow(): void {
  const steps = overflow!;
  overflow = undefined;
  for (const step of steps) step();
}

/** OpenTracing's finish time, for a span finished later than it ended: epoch milliseconds, fractional. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The returned value is handed back untouched. A native promise returned from an async function is followed
 * (the engine adopts it with `then` anyway, so one more reaction changes neither handling nor ticks). Anything
 * else promise-like is not followed: calling `then` on a foreign thenable can run it, and following a promise
 * returned by a sync function would mark it handled. Those spans end at return, tagged as such.
 */
function ret<T>(s: CallState, value: T): T {
  if (s === undefined) return value;
  const call = s as Call;
  if (typeof value !== 'object' && typeof value !== 'function') return value;
  if (value === null) return value;
  if (call.kind === SiteKind.async && isPlainNativePromise(value)) {
    call.deferred = true;
    promiseThen.call(
      value,
      () => finish(call),
      (error: unknown) => {
        tagError(call.span, error);
        finish(call);
      },
    );
    return value;
  }
  if (call.kind === SiteKind.sync && isThenable(value)) {
    try {
      call.span.setTag(TAG.promise, 'not-followed');
    } catch (error) {
      reportFault('span.setTag', error);
    }
  }
  return value;
}

/** A real Promise (no Proxy, no subclass, no own `then`): only then is `then` unobservable. */
function isPlainNativePromise(value: object): boolean {
  return (
    types.isPromise(value) &&
    Object.getPrototypeOf(value) === Promise.prototype &&
    !Object.prototype.hasOwnProperty.call(value, 'then')
  );
}

function isThenable(value: object): boolean {
  if (types.isPromise(value)) return true;
  if (types.isProxy(value)) return false;
  try {
    const descriptor = findProperty(value, 'then');
    return descriptor !== undefined && 'value' in descriptor && typeof descriptor.value === 'function';
  } catch {
    return false;
  }
}

/** Looks `key` up the prototype chain without running getters: telling a thenable apart must not run one. */
function findProperty(value: object, key: string): PropertyDescriptor | undefined {
  for (let o: object | null = value; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * Segments (a sync call, or an async function or generator between two suspensions) nest strictly, and each
 * ends in `leave` or `exit`, which only a stack overflow can skip: near the limit the deepest frames have no
 * stack left to call them. So a segment still running above `call`'s when that one fails, suspends or exits
 * was cut off that way: its function threw, and its span ends now (unless its returned promise holds the
 * finish), from a microtask (see `overflow`). Its context needs nothing: `call` hands back its own.
 */
function closeAbove(call: Call, error: unknown, hasError: boolean): void {
  while (running !== undefined && running !== call) {
    const open = running;
    if (open.span !== undefined && !open.deferred) {
      const at = now();
      later(() => {
        if (hasError) tagError(open.span, error);
        finishSafely(open.span, at);
      });
    }
    running = open.below;
  }
}

/** `call`'s segment ends (it suspends or exits); only a running segment is linked. */
function unlink(call: Call): void {
  if (running !== call) closeAbove(call, undefined, false);
  running = call.below;
}

function fail(s: CallState, error: unknown): void {
  if (s === undefined) return;
  const call = s as Call;
  if (!call.suspended && running !== call) closeAbove(call, error, true);
  if (overflow === undefined) tagError(call.span, error);
  else later(() => tagError(call.span, error));
}

function exit(s: CallState): void {
  if (s === undefined) return;
  const call = s as Call;
  // After an abrupt resumption (a rejected await, `return()`/`throw()` on a generator) no segment of this call
  // is running, and the context current here is already the resumer's; otherwise hand back this segment's.
  const segment = !call.suspended;
  if (segment && running !== call) closeAbove(call, undefined, false);
  if (!call.deferred) finish(call);
  if (segment) {
    running = call.below;
    state.storage!.enterWith(call.outer);
  }
}

function leave<T>(s: CallState, value: T): T {
  if (s === undefined) return value;
  const call = s as Call;
  if (!call.suspended) unlink(call);
  call.suspended = true;
  state.storage!.enterWith(call.outer);
  return value;
}

function back<T>(s: CallState, value?: T): T {
  if (s === undefined) return value as T;
  const call = s as Call;
  if (call.suspended) {
    const storage = state.storage!;
    call.suspended = false;
    call.below = running;
    running = call;
    call.outer = storage.getStore();
    storage.enterWith(call.span);
  }
  return value as T;
}

/**
 * `for await (x of iter($s, src))` and `yield* iter($s, src)`: each step of the inner iterator runs with the
 * span active (re-entered when a later step is resumed by someone else) and leaves before the engine suspends
 * on its result. The inner iterator's own results and methods are handed through; `return` and `throw` exist
 * exactly when the inner iterator has them, as the engine's delegation checks for them.
 */
function iter<T>(s: CallState, iterable: T): T {
  if (s === undefined || iterable == null) return iterable; // the engine throws its own TypeError for null
  const call = s as Call;
  const source = iterable as Record<symbol, unknown>;
  // A sync generator's `yield*` looks for Symbol.iterator only, even on an object that has both.
  const asyncMethod = call.kind === SiteKind.generator ? undefined : source[Symbol.asyncIterator];
  const key = asyncMethod != null ? Symbol.asyncIterator : Symbol.iterator;
  const method = asyncMethod != null ? asyncMethod : source[Symbol.iterator];
  if (typeof method !== 'function') return iterable; // the engine throws its own TypeError
  return {
    [key]() {
      const inner = (method as () => Iterator<unknown>).call(iterable);
      if ((typeof inner !== 'object' && typeof inner !== 'function') || inner === null) return inner;
      return steppedIterator(call, inner);
    },
  } as T;
}

function steppedIterator(call: Call, inner: Iterator<unknown>): Iterator<unknown> {
  const next = inner.next;
  const step = (method: (...a: unknown[]) => unknown, args: unknown[]) => {
    back(call, undefined);
    const result = method.apply(inner, args);
    leave(call, undefined);
    return result;
  };
  return {
    next(...args: unknown[]) {
      return step(next as (...a: unknown[]) => unknown, args) as IteratorResult<unknown>;
    },
    get return() {
      const method = inner.return;
      return method == null ? method : (...args: unknown[]) => step(method, args);
    },
    get throw() {
      const method = inner.throw;
      return method == null ? method : (...args: unknown[]) => step(method, args);
    },
  } as Iterator<unknown>;
}

export const v1 = { site, enter, ret, fail, exit, leave, back, iter } satisfies RuntimeV1;
