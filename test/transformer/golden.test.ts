/**
 * Golden fixtures: test/transformer/fixtures/<group>/<case>/input.ts → output.js (reviewed emit), plus
 * diagnostics.txt, mappings.json and exec.ts where a case has them. One suite per group, one test per case.
 * Every case compiles in Program mode (tspc) and transpileModule mode, which must agree; options come from
 * <group>/options.json with <case>/options.json over it. `UPDATE_GOLDEN=1` rewrites output.js / diagnostics.txt.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setTracer } from '../../src/runtime/tracer';
import type { TracedPluginOptions } from '../../src/transformer/config/types';
import { compileFile, formatDiagnostic, type Compiled } from '../helpers/compile';
import { build, loadFresh } from '../helpers/exec';
import { expectFile, normalise } from '../helpers/golden';
import { installRecordingTracer } from '../helpers/mock-tracer';

const FIXTURES = join(__dirname, 'fixtures');

interface CaseOptions {
  readonly compilerOptions?: Record<string, unknown>;
  readonly pluginOptions?: TracedPluginOptions;
  /** The input is expected to have TypeScript errors (an untraceable construct TypeScript also rejects). */
  readonly typeErrors?: boolean;
}

interface Mapping {
  /** 1-based line and column in output.js (compiled with `sourceMap`). */
  readonly generated: [number, number];
  /** 1-based line and column in input.ts. */
  readonly original: [number, number];
}

/** An exec.ts default export: drives input.ts and logs what an observer would see. */
type Exec = (log: (line: string) => void) => unknown;

const folders = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);

function optionsOf(group: string, name: string): CaseOptions {
  const outer = readJson<CaseOptions>(join(FIXTURES, group, 'options.json')) ?? {};
  const inner = readJson<CaseOptions>(join(FIXTURES, group, name, 'options.json')) ?? {};
  return {
    ...outer,
    ...inner,
    compilerOptions: { ...outer.compilerOptions, ...inner.compilerOptions },
    // `null` in a case's options removes a key its group sets.
    pluginOptions: JSON.parse(JSON.stringify({ ...outer.pluginOptions, ...inner.pluginOptions }, (_, v) => (v === null ? undefined : v))),
  };
}

const formatAll = (c: Compiled, dir: string) => c.diagnostics.map((d) => formatDiagnostic(d, dir));

function checkMappings(dir: string, options: CaseOptions, mappings: readonly Mapping[]): void {
  const fileName = join(dir, 'input.ts');
  const compiled = compileFile({ fileName, pluginOptions: options.pluginOptions, compilerOptions: { ...options.compilerOptions, sourceMap: true } });
  const map = new SourceMap(JSON.parse(compiled.map!));
  for (const { generated, original } of mappings) {
    const entry = map.findEntry(generated[0] - 1, generated[1] - 1) as { originalLine?: number; originalColumn?: number };
    const found = [entry.originalLine! + 1, entry.originalColumn! + 1];
    const line = compiled.js.split('\n')[generated[0] - 1] ?? '';
    assert.equal(found, original, `~> output ${generated.join(':')} (${line.trim()}) maps to input ${found.join(':')}`);
  }
}

async function checkExec(group: string, name: string, dir: string, options: CaseOptions): Promise<void> {
  const modules = (pluginOptions: TracedPluginOptions | null) => [
    { fileName: join(dir, 'input.ts'), pluginOptions },
    { fileName: join(dir, 'exec.ts'), pluginOptions: null },
  ];
  const plain = build(`golden-${group}-${name}-plain`, modules(null), options.compilerOptions);
  const traced = build(`golden-${group}-${name}-traced`, modules(options.pluginOptions ?? {}), options.compilerOptions);
  const run = async (folder: string) => {
    const lines: string[] = [];
    const exec = loadFresh<{ default: Exec }>(folder, 'exec').default;
    await exec((line) => lines.push(line));
    return lines;
  };
  setTracer(undefined);
  const expected = await run(plain);
  assert.ok(expected.length > 0, '~> exec.ts logs something');
  assert.equal(await run(traced), expected, '~> instrumented, no tracer: same transcript as plain');
  const tracer = installRecordingTracer();
  assert.equal(await run(traced), expected, '~> instrumented, recording: same transcript as plain');
  setTracer(undefined);
  assert.ok(tracer.started.length > 0, '~> spans were recorded');
  for (const span of tracer.started) assert.is(span.finishCount, 1, `~> span ${span.name} finished once`);
}

for (const group of folders(FIXTURES)) {
  const test = suite(group);
  for (const name of folders(join(FIXTURES, group))) {
    const dir = join(FIXTURES, group, name);
    test(name, async () => {
      const options = optionsOf(group, name);
      const compile = { fileName: join(dir, 'input.ts'), compilerOptions: options.compilerOptions, pluginOptions: options.pluginOptions };
      const program = compileFile(compile, 'program');
      const transpiled = compileFile(compile, 'transpile');
      assert.fixture(normalise(transpiled.js), normalise(program.js), '~> transpileModule emits what the Program emits');
      const diagnostics = formatAll(program, dir);
      assert.equal(formatAll(transpiled, dir), diagnostics, '~> transpileModule reports what the Program reports');
      if (!options.typeErrors) {
        assert.equal(program.typeErrors.map((d) => formatDiagnostic(d, dir)), [], '~> the input type-checks');
      }
      expectFile(join(dir, 'output.js'), program.js, `${group}/${name}`);
      expectFile(join(dir, 'diagnostics.txt'), diagnostics.join('\n'), `${group}/${name}`, true);
      const mappings = readJson<Mapping[]>(join(dir, 'mappings.json'));
      if (mappings) checkMappings(dir, options, mappings);
      if (existsSync(join(dir, 'exec.ts'))) await checkExec(group, name, dir, options);
    });
  }
  test.run();
}
