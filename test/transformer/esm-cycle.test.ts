/**
 * An ES module import cycle can call a traced function declaration before its module has run (declarations are
 * hoisted, the module body is not). The plain program works; so must the instrumented one, and the early call is
 * traced too: site records are function declarations, hoisted with the function, and the runtime import comes
 * first, so the runtime has loaded before any module of the cycle runs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileFile, ROOT } from '../helpers/compile';
import { TMP } from '../helpers/exec';
import { installRecordingTracer } from '../helpers/mock-tracer';

const out = join(TMP, `esm-cycle-${process.pid}`);

/** `ts-traced/runtime` for ES module output: this checkout's runtime source, with its named exports. */
function writeRuntimeModule(): void {
  const dir = join(out, 'node_modules', 'ts-traced');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ts-traced', exports: { './runtime': './runtime.mjs' } }));
  const source = JSON.stringify(join(ROOT, 'src/runtime/index.ts'));
  writeFileSync(
    join(dir, 'runtime.mjs'),
    `import { createRequire } from 'node:module';\nconst runtime = createRequire(import.meta.url)(${source});\n` +
      'export const requireVersion = runtime.requireVersion;\nexport const v1 = runtime.v1;\n',
  );
}

function build(plugin: boolean): string {
  const dir = join(out, plugin ? 'traced' : 'plain');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
  for (const name of ['a', 'b']) {
    const { js, diagnostics } = compileFile({
      fileName: join(__dirname, 'esm-cycle', `${name}.ts`),
      pluginOptions: plugin ? {} : null,
      compilerOptions: { module: 'ESNext' },
    });
    assert.is(diagnostics.length, 0);
    writeFileSync(join(dir, `${name}.js`), js);
  }
  return dir;
}

test('a traced function called through an import cycle during loading behaves as the plain one', async () => {
  writeRuntimeModule();
  build(false);
  const plainDir = join(out, 'plain');
  const tracedDir = build(true);
  assert.ok(tracedDir.startsWith(TMP));
  const tracer = installRecordingTracer();
  const plain = await import(pathToFileURL(join(plainDir, 'a.js')).href);
  const traced = await import(pathToFileURL(join(tracedDir, 'a.js')).href);
  assert.equal({ early: traced.early, later: traced.later }, { early: plain.early, later: plain.later });
  assert.equal(
    tracer.finished().map((s) => s.path),
    ['shout', 'shout > greet', 'greet'],
    '~> the call made before a.ts ran is traced, under shout; so is the later one',
  );
});

test.run();
