/**
 * TypeScript 6 with ts-patch 4, on Node 22 (all three from compat/ts6): tspc builds the pipeline test app with
 * the plugin, using only the TypeScript instance ts-patch hands it (no `typescript` is ever resolved from
 * ts-traced's own files in that process), and the build, run on Node 22, logs what the plain build logs and
 * records the spans of the TypeScript 5 tspc build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/compile';
import { packageUnderTest, referenceRuns, runApp, stageApp, TMP } from './harness';

const COMPAT = join(ROOT, 'compat', 'ts6', 'node_modules');
const NODE_22 = join(COMPAT, '.bin', 'node');
const TSPC = join(COMPAT, 'ts-patch', 'bin', 'tspc.js');

/** Loaded with --require into tspc's process: logs every resolution of `typescript` and of the plugin. */
const PROBE = `const Module = require('node:module');
const resolve = Module._resolveFilename;
const seen = [];
Module._resolveFilename = function (request, parent, ...rest) {
  const found = resolve.call(this, request, parent, ...rest);
  if (request === 'typescript' || request.startsWith('ts-traced')) seen.push({ request, from: parent && parent.filename, found });
  return found;
};
process.on('exit', () => require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify(seen)));
`;

const ts6 = suite('TypeScript 6 + ts-patch 4 on Node 22');

ts6('the tools are the ones compat/ts6 pins', () => {
  assert.ok(existsSync(NODE_22), 'compat/ts6 is installed by npm ci --prefix compat/ts6');
  assert.match(spawnSync(NODE_22, ['--version'], { encoding: 'utf8' }).stdout, /^v22\./);
  assert.match(spawnSync(NODE_22, [TSPC, '--version'], { encoding: 'utf8' }).stdout, /^Version 6\./);
  assert.match(JSON.parse(readFileSync(join(COMPAT, 'ts-patch', 'package.json'), 'utf8')).version, /^4\./);
});

ts6('tspc builds the app with the plugin and the host TypeScript only; the build behaves and traces as the TypeScript 5 one', async () => {
  const { plain, tspc } = await referenceRuns();
  const app = stageApp('ts6-app', 'commonjs');
  const package_ = packageUnderTest();
  const probe = join(TMP, 'ts6-probe.cjs');
  writeFileSync(probe, PROBE);
  const probeOut = join(app, 'probe.json');
  const build = spawnSync(NODE_22, ['--require', probe, TSPC, '-p', app], { cwd: app, encoding: 'utf8', env: { ...process.env, PROBE_OUT: probeOut } });
  assert.is(build.status, 0, `~> tspc: ${build.stdout}${build.stderr}`);

  const seen = JSON.parse(readFileSync(probeOut, 'utf8')) as { request: string; from?: string; found: string }[];
  assert.ok(seen.some((s) => s.request === 'ts-traced/transformer' && s.found.startsWith(package_)), '~> the plugin was loaded');
  const fromPlugin = seen.filter((s) => s.request === 'typescript' && s.from?.startsWith(package_));
  assert.equal(fromPlugin, [], '~> the plugin never loads a typescript of its own');
  assert.ok(seen.filter((s) => s.request === 'typescript').every((s) => s.found.startsWith(join(COMPAT, 'typescript'))), '~> one TypeScript: 6');
  assert.ok(readFileSync(join(app, 'dist', 'pricing.js'), 'utf8').includes('__traced.v1.enter($site_1)'), '~> instrumented');

  const main = join(app, 'dist', 'main.js');
  assert.equal(runApp(main, 'plain', [], NODE_22).lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record', [], NODE_22);
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, tspc.spans, '~> the same spans as the TypeScript 5 build');
});

ts6.run();
