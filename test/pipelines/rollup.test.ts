/**
 * `ts-traced/bundler` on the Rollup plugin API, loaded through the package's exports, in real builds of the pipeline
 * test app as ES module bundles:
 * - Rollup 4 (`traced.rollup()`): Rollup runs transforms in plugin order, so the plugin comes before the TypeScript
 *   step, here the real `typescript` (transpileModule, with a source map), with `./x.js` imports resolved to
 *   `./x.ts` as NodeNext has them;
 * - Rolldown (`traced.rolldown()`), which compiles TypeScript itself.
 * Each bundle must log what the plain build logs, with no tracer and with one, and record the tspc build's spans;
 * stack traces name the source line.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Plugin } from 'rollup';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { packageUnderTest, referenceRuns, runApp, stackFrame, stageApp, stageStackApp, TMP } from './harness';

type Bundler = typeof import('../../src/bundler');

function tracedBundler(): Bundler {
  packageUnderTest();
  return createRequire(join(TMP, 'resolve-from.js'))('ts-traced/bundler') as Bundler;
}

/** What a TypeScript plugin does for Rollup: `./x.js` finds `./x.ts`, and TypeScript compiles it with a source map. */
const typescript: Plugin = {
  name: 'typescript',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.') || !source.endsWith('.js')) return null;
    const file = resolve(dirname(importer), source.replace(/\.js$/, '.ts'));
    return existsSync(file) ? file : null;
  },
  transform(code, id) {
    if (!id.endsWith('.ts')) return null;
    const { outputText, sourceMapText } = ts.transpileModule(code, {
      fileName: id,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true },
    });
    return { code: outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'), map: sourceMapText };
  },
};

const external = /^(node:|ts-traced(\/|$)|opentracing(\/|$))/;

const BUILDS = {
  async 'Rollup 4'(app: string, entry: string, file: string) {
    const { rollup } = await import('rollup');
    const build = await rollup({
      input: join(app, entry),
      external: (id) => external.test(id),
      plugins: [tracedBundler().rollup({ tsconfig: join(app, 'tsconfig.json') }), typescript],
    });
    await build.write({ file, format: 'es', sourcemap: true });
    await build.close();
  },
  async Rolldown(app: string, entry: string, file: string) {
    const { build } = await import('rolldown');
    await build({
      input: join(app, entry),
      external,
      platform: 'node',
      resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
      plugins: [tracedBundler().rolldown({ tsconfig: join(app, 'tsconfig.json') })],
      output: { file, format: 'es', sourcemap: true },
    });
  },
};

const rollupApi = suite('ts-traced/bundler on the Rollup plugin API');

for (const [tool, build] of Object.entries(BUILDS)) {
  const label = tool.split(' ')[0].toLowerCase();

  rollupApi(`${tool}, ES module bundle: the plain transcript, the tspc build's spans`, async () => {
    const { plain, tspc } = await referenceRuns();
    const app = stageApp(label, 'module');
    const main = join(app, 'out', 'main.mjs');
    await build(app, 'src/main.ts', main);
    assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
    const recorded = runApp(main, 'record');
    assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
    assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
  });

  rollupApi(`${tool}: stack traces through the bundle's source map name the source line and column`, async () => {
    const app = stageStackApp(`${label}-stack`, 'module');
    const main = join(app, 'out', 'main.mjs');
    await build(app, 'src/stack.ts', main);
    const { printed, expected } = stackFrame(app, main);
    assert.is(printed, expected);
  });
}

rollupApi.run();
