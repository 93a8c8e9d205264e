/**
 * `ts-traced/register`: instruments the project's TypeScript and JavaScript as Node loads it, for development
 * and scripts where no build step runs the compiler plugin:
 *
 *   node --import ts-traced/register src/main.ts      (ES modules and CommonJS)
 *   node --require ts-traced/register src/main.ts     (CommonJS only)
 *
 * The project is the tsconfig.json of the working directory or its nearest parent (or `TRACED_TSCONFIG`): its plugin options and
 * traced.config.json select what is traced, as tspc would; its compiler options compile the TypeScript, with the
 * `typescript` package the project has. Source maps are enabled, so stack traces name the user's lines.
 *
 * Where Node has `module.registerHooks` (22.15, 23.5 and later) one set of synchronous hooks serves import and
 * require. Elsewhere (Node 20) the hooks run in a loader thread (`module.register`) for import, and require goes
 * through `Module._extensions` handlers that fall back to any handler installed before (tsx's, for one).
 */
import Module from 'node:module';
import type { Compiler, RegisterData } from './register-hooks';
import { createCompiler, hooksFor, HOOKS_URL, installCommonJs } from './register-hooks';

type SyncHooks = {
  resolve(specifier: string, context: object, next: (s: string, c: object) => { url: string; format?: string | null }): unknown;
  load(url: string, context: { format?: string | null }, next: (u: string, c: object) => unknown): unknown;
};
type ModuleApi = typeof Module & { registerHooks?: (hooks: SyncHooks) => unknown };

const INSTALLED = Symbol.for('ts-traced.register.v1');
const holder = globalThis as typeof globalThis & { [INSTALLED]?: true };

function install(): void {
  if (holder[INSTALLED]) return;
  holder[INSTALLED] = true;
  const data: RegisterData = { cwd: process.cwd(), tsconfig: process.env.TRACED_TSCONFIG || undefined };
  let compiler: Compiler | undefined;
  const lazy = () => (compiler ??= createCompiler(data));
  process.setSourceMapsEnabled(true);
  const api = Module as ModuleApi;
  if (typeof api.registerHooks === 'function') {
    const hooks = hooksFor(lazy, false);
    api.registerHooks({
      resolve: (specifier, context, next) => hooks.resolveWith(specifier, context, next),
      load: (url, context, next) => hooks.loadOwn(url, context.format) ?? next(url, context),
    });
    return;
  }
  installCommonJs(lazy);
  Module.register(HOOKS_URL, { data });
}

install();
