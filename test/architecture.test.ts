/**
 * The import directions of DESIGN/STYLE, checked on every source file: the transformer and the runtime share only
 * src/contract.ts; the runtime never loads `typescript`; client wrappers and server integrations stay apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const SRC = resolve(__dirname, '..', 'src');

interface Import {
  readonly specifier: string;
  readonly typeOnly: boolean;
  /** The repository path it resolves to (`src/runtime/scope.ts`), or undefined for a package. */
  readonly target?: string;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\b(require|import)\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+\w+\s*=\s*require\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const specifier = m[3] ?? m[5] ?? m[6];
    const typeOnly = m[2] !== undefined || m[4] === 'import';
    const target = specifier.startsWith('.') ? relative(resolve(SRC, '..'), resolve(dirname(file), specifier)).replace(/(\.ts)?$/, '.ts') : undefined;
    found.push({ specifier, typeOnly, target });
  }
  return found;
}

const isBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s);
const all = files(SRC).map((file) => ({ path: relative(resolve(SRC, '..'), file), imports: importsOf(file) }));
const under = (prefix: string) => all.filter((f) => f.path.startsWith(prefix));

function violations(
  subjects: typeof all,
  allowed: (imp: Import, from: string) => boolean,
): string[] {
  return subjects.flatMap((f) => f.imports.filter((imp) => !allowed(imp, f.path)).map((imp) => `${f.path} imports ${imp.specifier}`));
}

const boundaries = suite('module boundaries');

boundaries('the files are found and their imports read', () => {
  assert.ok(all.length > 50, `~> ${all.length} source files`);
  assert.ok(all.find((f) => f.path === 'src/runtime/v1.ts')!.imports.some((i) => i.target === 'src/contract.ts'));
});

boundaries('src/contract.ts imports nothing', () => {
  assert.equal(all.find((f) => f.path === 'src/contract.ts')!.imports, []);
});

boundaries('the transformer never imports the runtime, and `typescript` only as types', () => {
  const bad = violations(under('src/transformer/'), (imp) => {
    if (imp.specifier === 'typescript') return imp.typeOnly;
    if (imp.target) return imp.target === 'src/contract.ts' || imp.target.startsWith('src/transformer/');
    return true;
  });
  assert.equal(bad, []);
});

boundaries('the runtime never imports the transformer or `typescript`', () => {
  const bad = violations(under('src/runtime/'), (imp) => {
    if (imp.specifier === 'typescript') return false;
    if (imp.target) return imp.target === 'src/contract.ts' || imp.target.startsWith('src/runtime/');
    return true;
  });
  assert.equal(bad, []);
});

boundaries('client wrappers import no server code and no other wrapper', () => {
  const shared = new Set(['src/runtime/clients/install.ts', 'src/runtime/clients/db.ts', 'src/runtime/clients/http-tags.ts']);
  const bad = violations(under('src/runtime/clients/'), (imp, from) => {
    if (!imp.target) return true;
    if (imp.target.startsWith('src/runtime/servers/')) return false;
    if (!imp.target.startsWith('src/runtime/clients/')) return true;
    // The table of lazy loaders is the one file that names every wrapper.
    return shared.has(imp.target) || from === 'src/runtime/clients/index.ts';
  });
  assert.equal(bad, []);
});

boundaries('server integrations import no client wrapper and no other framework file', () => {
  const frameworks = ['http', 'express', 'koa', 'fastify'].map((f) => `src/runtime/servers/${f}.ts`);
  const bad = violations(under('src/runtime/servers/'), (imp) => {
    if (!imp.target) return true;
    if (imp.target.startsWith('src/runtime/clients/')) return false;
    return !frameworks.includes(imp.target);
  });
  assert.equal(bad, []);
});

boundaries('runtime core files load no framework or client library', () => {
  const core = all.filter((f) => /^src\/runtime\/[^/]+\.ts$/.test(f.path));
  const bad = violations(core, (imp) => imp.target !== undefined || isBuiltin(imp.specifier) || imp.specifier === 'opentracing' || imp.typeOnly);
  assert.equal(bad, []);
});

boundaries('the cli reads the transformer and the dev viewer only', () => {
  const bad = violations(under('src/cli/'), (imp) => {
    if (!imp.target) return true;
    return (
      imp.target === 'src/contract.ts' ||
      imp.target.startsWith('src/cli/') ||
      imp.target.startsWith('src/transformer/') ||
      imp.target.startsWith('src/runtime/dev/')
    );
  });
  assert.equal(bad, []);
});

boundaries('run-time entries (otel, setup) never load the transformer or `typescript`', () => {
  const entries = all.filter((f) => f.path === 'src/otel.ts' || f.path === 'src/setup.ts' || f.path === 'src/index.ts');
  assert.is(entries.length, 3);
  const bad = violations(entries, (imp) => imp.specifier !== 'typescript' && !imp.target?.startsWith('src/transformer/'));
  assert.equal(bad, []);
});

boundaries.run();
