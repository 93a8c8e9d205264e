/**
 * What the reliability tests share: building a fixture twice (plain tsc, and with the plugin tracing every
 * function it can), a warning/unhandled-rejection watcher for "0 escapes", and small waits.
 */
import { basename, join } from 'node:path';
import type { TracedPluginOptions } from '../../src/transformer/config/types';
import { build, loadFresh } from '../helpers/exec';

export const FIXTURES = join(__dirname, 'fixtures');

/** Config rules that select every named function, method, arrow, expression and accessor, with or without a trace. */
export const TRACE_ALL: TracedPluginOptions = {
  include: ['**/*.ts'],
  kinds: ['function', 'method', 'arrow', 'expression', 'accessor'],
  requireActiveTrace: false,
};

export interface Pair<T> {
  /** A fresh instance of the fixture as plain tsc compiles it. */
  readonly plain: () => T;
  /** A fresh instance of the fixture compiled with the plugin. */
  readonly traced: () => T;
  readonly plainDir: string;
  readonly tracedDir: string;
}

/**
 * Compiles `fixture` (a file name under fixtures/, or several: the first is the one loaded, the others are
 * modules it imports) plain and instrumented, CommonJS with source maps, into
 * test/transformer/.tmp/reliability-<label>-{plain,traced}. Plugin diagnostics fail the build.
 */
export function buildPair<T>(
  label: string,
  fixture: string | readonly string[],
  pluginOptions: TracedPluginOptions = TRACE_ALL,
  compilerOptions: Record<string, unknown> = {},
): Pair<T> {
  const files = (typeof fixture === 'string' ? [fixture] : fixture).map((f) => join(FIXTURES, f));
  const name = basename(files[0]).replace(/\.ts$/, '');
  const plainDir = build(`reliability-${label}-plain`, files.map((fileName) => ({ fileName, pluginOptions: null })), compilerOptions);
  const tracedDir = build(`reliability-${label}-traced`, files.map((fileName) => ({ fileName, pluginOptions })), compilerOptions);
  return {
    plain: () => loadFresh<T>(plainDir, name),
    traced: () => loadFresh<T>(tracedDir, name),
    plainDir,
    tracedDir,
  };
}

/** Counts `warning`, `uncaughtException` and `unhandledRejection` events while it is on ("0 escapes"). */
export class EscapeWatch {
  readonly warnings: Error[] = [];
  readonly unhandled: unknown[] = [];
  readonly uncaught: unknown[] = [];
  private readonly onWarning = (w: Error) => this.warnings.push(w);
  private readonly onUnhandled = (reason: unknown) => this.unhandled.push(reason);
  private readonly onUncaught = (error: unknown) => this.uncaught.push(error);
  constructor() {
    process.on('warning', this.onWarning);
    process.on('unhandledRejection', this.onUnhandled);
    process.on('uncaughtException', this.onUncaught);
  }
  stop(): this {
    process.off('warning', this.onWarning);
    process.off('unhandledRejection', this.onUnhandled);
    process.off('uncaughtException', this.onUncaught);
    return this;
  }
}

/** Resolves after the current macrotask queue has drained `n` times (lets `unhandledRejection` and warnings fire). */
export async function turns(n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
