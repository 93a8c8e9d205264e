/**
 * ts-jest as a host of the compiler plugin (`astTransformers: { before: ['ts-traced/transformer/ts-jest'] }`):
 * real Jest, in a child process, runs fixtures/ts-jest, whose tests import traced modules and assert the spans
 * they record, once under ts-jest's language service and once transpile-only (isolatedModules), as CommonJS and
 * as ES modules (`useESM`, Jest under `node --experimental-vm-modules`). A fault in traced.config.json fails the
 * run with the file, line and key, as it fails tspc.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tsJestPlugin from '../../src/transformer/ts-jest';
import { ROOT } from '../helpers/compile';
import { packageUnderTest, TMP } from './harness';

const FIXTURE = join(__dirname, 'fixtures', 'ts-jest');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');

interface JestResults {
  readonly numTotalTestSuites: number;
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly testResults: readonly { readonly message: string; readonly assertionResults: readonly { fullName: string; status: string }[] }[];
}

/** A copy of the fixture project in .tmp/ts-jest/<label>/, beside the package under test. */
function stageProject(label: string): string {
  packageUnderTest();
  const dir = join(TMP, label);
  rmSync(dir, { recursive: true, force: true });
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: label, private: true }));
  return dir;
}

/**
 * Runs Jest in `dir` with a cache of its own (so nothing compiled earlier is reused): with jest.config.js, or with
 * jest.esm.config.js under `--experimental-vm-modules`, Jest's ES module support.
 */
function runJest(dir: string, modules: 'commonjs' | 'esm' = 'commonjs'): { status: number | null; output: string; results?: JestResults } {
  const out = join(dir, 'results.json');
  const jest = [JEST, '--ci', '--json', '--outputFile', out, '--cacheDirectory', join(dir, '.jest-cache')];
  const args = modules === 'esm' ? ['--experimental-vm-modules', ...jest, '--config', 'jest.esm.config.js'] : jest;
  const run = spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const results = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as JestResults) : undefined;
  return { status: run.status, output: `${run.stderr}${run.stdout}`, results };
}

const plugin = suite('ts-traced/transformer/ts-jest');

plugin('has the shape ts-jest loads: name, version (the package\'s, for Jest\'s cache key) and factory', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
  assert.is(tsJestPlugin.name, 'ts-traced');
  assert.is(tsJestPlugin.version, manifest.version, '~> a new release changes the cache key');
  assert.is(typeof tsJestPlugin.factory, 'function');
  assert.ok(manifest.exports['./transformer/ts-jest'], '~> exported as ts-traced/transformer/ts-jest');
});

plugin('Jest runs the traced tests under the language service and transpile-only: every span recorded, nested, tagged', () => {
  const { status, output, results } = runJest(stageProject('project'));
  assert.ok(results, `~> jest wrote its results:\n${output}`);
  const failures = results.testResults.map((r) => r.message).filter(Boolean);
  assert.equal(failures, [], '~> no failing test');
  assert.is(results.numTotalTestSuites, 2, '~> one run per ts-jest mode');
  assert.is(results.numTotalTests, 6, '~> three tests per mode');
  assert.is(results.numPassedTests, 6);
  assert.is(status, 0, output);
});

plugin('ES modules (useESM, node --experimental-vm-modules): the same tests, every span recorded, under both modes', () => {
  const dir = stageProject('esm');
  const { status, output, results } = runJest(dir, 'esm');
  assert.ok(results, `~> jest wrote its results:\n${output}`);
  // What ts-jest compiled, from Jest's transform cache (<cache>/jest-transform-cache-*/<xx>/pricing_<hash>).
  const compiled = (readdirSync(join(dir, '.jest-cache'), { recursive: true }) as string[]).filter((f) => /(^|\/)pricing_[^/.]+$/.test(f));
  assert.is(compiled.length, 2, '~> pricing.ts compiled once per mode');
  for (const file of compiled) {
    const code = readFileSync(join(dir, '.jest-cache', file), 'utf8');
    assert.match(code, /^import \* as __traced from "ts-traced\/runtime";$/m, `~> an ES module importing the runtime: ${file}`);
    assert.ok(code.includes('export class Checkout'), `~> ES module exports: ${file}`);
  }
  const failures = results.testResults.map((r) => r.message).filter(Boolean);
  assert.equal(failures, [], '~> no failing test');
  assert.is(results.numTotalTestSuites, 2, '~> one run per ts-jest mode');
  assert.is(results.numPassedTests, 6, '~> three tests per mode');
  assert.is(status, 0, output);
});

plugin('a traced.config.json fault fails the run with the file, line and key', () => {
  const dir = stageProject('broken-config');
  writeFileSync(join(dir, 'traced.config.json'), '{\n  "include": "src/rules/**"\n}\n');
  const { status, output, results } = runJest(dir);
  assert.is(status, 1, '~> jest exits with 1');
  const messages = results?.testResults.map((r) => r.message).join('\n') ?? output;
  assert.match(messages, /traced\.config\.json[:(]2[:,]/, '~> names the file and line');
  assert.match(messages, /TT1\d{3}/, '~> with its diagnostic code');
  assert.match(messages, /include/, '~> and the key');
});

plugin.run();
