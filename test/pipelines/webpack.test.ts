/**
 * webpack 5 builds of the pipeline test app, two ways: ts-loader running the AST transformer through
 * `getCustomTransformers` (`createTransformer` with ts-loader's Program), and `ts-traced/bundler`'s webpack
 * plugin in front of a transpile-only ts-loader. Each bundle must log what the plain build logs and record the
 * spans of the tspc build.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import webpack from 'webpack';
import { compileWith, externalPackages, packageUnderTest, referenceRuns, runApp, stageApp, TMP } from './harness';

const fromPackage = (id: string) => {
  packageUnderTest();
  return createRequire(join(TMP, 'resolve-from.js'))(id);
};

function build(app: string, loaderOptions: object, plugins: webpack.WebpackPluginInstance[] = []): Promise<string> {
  const config: webpack.Configuration = {
    mode: 'none',
    target: 'node20',
    context: app,
    entry: './src/main.ts',
    output: { path: join(app, 'out'), filename: 'main.js', library: { type: 'commonjs2' } },
    resolve: { extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } },
    module: { rules: [{ test: /\.ts$/, loader: require.resolve('ts-loader'), options: { configFile: join(app, 'tsconfig.json'), ...loaderOptions } }] },
    externals: [externalPackages],
    plugins,
    devtool: 'source-map',
  };
  return compileWith((done) => webpack(config, done), join(app, 'out', 'main.js'));
}

const pipelines = suite('webpack');

pipelines('ts-loader with getCustomTransformers: the plain transcript, the tspc build\'s spans', async () => {
  const { plain, tspc } = await referenceRuns();
  const app = stageApp('webpack-ts-loader', 'commonjs');
  const { createTransformer } = fromPackage('ts-traced/transformer');
  const main = await build(app, {
    compiler: require.resolve('typescript'),
    getCustomTransformers: (program: ts.Program) => ({ before: [createTransformer(ts, { program })] }),
  });
  assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
});

pipelines('ts-traced/bundler\'s webpack plugin before a transpile-only ts-loader: the plain transcript, the tspc build\'s spans', async () => {
  const { plain, tspc } = await referenceRuns();
  const app = stageApp('webpack-bundler', 'commonjs');
  const traced = fromPackage('ts-traced/bundler');
  const main = await build(app, { transpileOnly: true }, [traced.webpack({ tsconfig: join(app, 'tsconfig.json') })]);
  assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
});

pipelines.run();
