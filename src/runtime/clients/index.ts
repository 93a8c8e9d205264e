/**
 * Installing client wrappers by library name. The wrappers sit in one table of lazy loaders, so `import 'ts-traced'`
 * loads no library: a library is loaded when its wrapper is installed. Adding a library is one row.
 */
import { ClientInstallError, type ClientWrapper } from './install';

const WRAPPERS = {
  pg: () => (require('./pg') as typeof import('./pg')).pg,
  mysql2: () => (require('./mysql2') as typeof import('./mysql2')).mysql2,
  ioredis: () => (require('./ioredis') as typeof import('./ioredis')).ioredis,
  redis: () => (require('./redis') as typeof import('./redis')).redis,
  http: () => (require('./http') as typeof import('./http')).http,
  fetch: () => (require('./fetch') as typeof import('./fetch')).fetchClient,
  'aws-sdk': () => (require('./aws-sdk') as typeof import('./aws-sdk')).awsSdk,
  amqplib: () => (require('./amqplib') as typeof import('./amqplib')).amqplib,
  bullmq: () => (require('./bullmq') as typeof import('./bullmq')).bullmq,
} as const;

export type ClientName = keyof typeof WRAPPERS;
type OptionsOf<N extends ClientName> = NonNullable<Parameters<ReturnType<(typeof WRAPPERS)[N]>['install']>[0]>;

export interface InstallOptions {
  /** Options per library (`{ pg: { recordParameters: true } }`), or `false` to leave that library alone. */
  readonly clients?: { readonly [N in ClientName]?: OptionsOf<N> | false };
  /** Called with one line per library, installed or skipped and why. Default: nothing is logged. */
  readonly log?: (line: string) => void;
}

export interface InstallResult {
  /** Libraries now traced (also those that already were). */
  readonly installed: string[];
  /** Libraries left alone: absent, disabled in `clients`, or an unsupported version (the reason says which). */
  readonly skipped: { readonly name: string; readonly reason: string }[];
}

const NAMES = Object.keys(WRAPPERS) as ClientName[];

function wrapperOf(name: ClientName): ClientWrapper<any> {
  return WRAPPERS[name]();
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Traces every library in the table that the application has installed. Never throws: a library that is absent
 * or of an unsupported version is listed in `skipped` with the reason.
 */
export function installAllPatches(options: InstallOptions = {}): InstallResult {
  const result: InstallResult = { installed: [], skipped: [] };
  for (const name of NAMES) {
    const settings = options.clients?.[name];
    let reason: string | undefined;
    if (settings === false) reason = 'disabled in options';
    else {
      const wrapper = wrapperOf(name);
      try {
        if (!wrapper.isPresent()) reason = 'not installed';
        else wrapper.install(settings ?? {});
      } catch (error) {
        reason = describeError(error);
      }
    }
    if (reason === undefined) result.installed.push(name);
    else result.skipped.push({ name, reason });
    options.log?.(reason === undefined ? `ts-traced: tracing ${name}` : `ts-traced: not tracing ${name}: ${reason}`);
  }
  return result;
}

/**
 * Traces the libraries named. All or nothing: if one cannot be traced (absent, unsupported version), those this
 * call installed are uninstalled again and a `ClientInstallError` says why. An unknown name is a `TypeError`.
 */
export function installPatches(names: readonly ClientName[], options: InstallOptions = {}): InstallResult {
  const unknown = names.filter((name) => !Object.prototype.hasOwnProperty.call(WRAPPERS, name));
  if (unknown.length) {
    throw new TypeError(
      `ts-traced: no client wrapper for ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known: ${NAMES.join(', ')}`,
    );
  }
  const result: InstallResult = { installed: [], skipped: [] };
  const added: ClientWrapper<any>[] = [];
  for (const name of new Set(names)) {
    const settings = options.clients?.[name];
    if (settings === false) {
      result.skipped.push({ name, reason: 'disabled in options' });
      options.log?.(`ts-traced: not tracing ${name}: disabled in options`);
      continue;
    }
    const wrapper = wrapperOf(name);
    const was = wrapper.installed;
    try {
      wrapper.install(settings ?? {});
    } catch (error) {
      for (const done of added) done.uninstall();
      throw error instanceof ClientInstallError ? error : new ClientInstallError(`ts-traced: cannot trace ${name}: ${describeError(error)}`);
    }
    if (!was) added.push(wrapper);
    result.installed.push(name);
    options.log?.(`ts-traced: tracing ${name}`);
  }
  return result;
}

/** Uninstalls every client wrapper that is installed: each library behaves as it did before. */
export function uninstallAllPatches(): void {
  for (const name of NAMES) {
    const wrapper = wrapperOf(name);
    if (wrapper.installed) wrapper.uninstall();
  }
}
