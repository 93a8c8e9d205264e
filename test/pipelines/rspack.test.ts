/**
 * `ts-traced/bundler`'s Rspack plugin (`traced.rspack()`, loaded through the package's exports) in a real Rspack build
 * of the pipeline test app, in front of Rspack's own TypeScript loader (`builtin:swc-loader`), as a CommonJS bundle.
 * The bundle must log what the plain build logs, with no tracer and with one, and record the tspc build's spans;
 * stack traces name the source line.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { rspack, type Configuration, type RspackPluginInstance } from '@rspack/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWith, externalPackages, packageUnderTest, referenceRuns, runApp, stackFrame, stageApp, stageStackApp, TMP } from './harness';

function tracedPlugin(app: string): RspackPluginInstance {
  packageUnderTest();
  const bundler = createRequire(join(TMP, 'resolve-from.js'))('ts-traced/bundler') as typeof import('../../src/bundler');
  return bundler.rspack({ tsconfig: join(app, 'tsconfig.json') }) as RspackPluginInstance;
}

function build(app: string, entry: string): Promise<string> {
  const config: Configuration = {
    mode: 'none',
    target: 'node20',
    context: app,
    entry,
    // Source paths in the map as files on disk (the default names them webpack://<package>/...), as Node apps set it.
    output: { path: join(app, 'out'), filename: 'main.js', library: { type: 'commonjs2' }, devtoolModuleFilenameTemplate: '[absolute-resource-path]' },
    resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'builtin:swc-loader',
          options: { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } },
          type: 'javascript/auto',
        },
      ],
    },
    externals: [externalPackages],
    plugins: [tracedPlugin(app)],
    devtool: 'source-map',
  };
  return compileWith((done) => rspack(config, done), join(app, 'out', 'main.js'));
}

const rspackSuite = suite('ts-traced/bundler: Rspack');

rspackSuite('Rspack, CommonJS bundle with builtin:swc-loader: the plain transcript, the tspc build\'s spans', async () => {
  const { plain, tspc } = await referenceRuns();
  const main = await build(stageApp('rspack', 'commonjs'), './src/main.ts');
  assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
});

rspackSuite('stack traces through the bundle\'s source map name the source line and column', async () => {
  const app = stageStackApp('rspack-stack', 'commonjs');
  const { printed, expected } = stackFrame(app, await build(app, './src/stack.ts'));
  assert.is(printed, expected);
});

rspackSuite.run();
