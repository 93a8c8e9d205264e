/**
 * Source maps and stacks (RELIABILITY 44). An error thrown in a traced function has, under
 * `node --enable-source-maps`, its first stack frame at the original .ts line and column of the throw, in the
 * function itself (no wrapper frame). And every original statement keeps the source position plain tsc gives it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compileFile, ROOT } from '../helpers/compile';
import { build } from '../helpers/exec';

const SOURCE = join(__dirname, 'sourcemap', 'throws.ts');

/** 1-based `line:column` of the `new Error(` that follows `marker` in the source. */
function throwSite(text: string, marker: string): string {
  const at = text.indexOf('new Error(', text.indexOf(marker));
  const before = text.slice(0, at).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

const stacks = suite('stack traces');

stacks('the first frame is the throw in the original source, inside the traced function', () => {
  const dir = build('sourcemap', [{ fileName: SOURCE, pluginOptions: {} }]);
  const child = spawnSync(
    process.execPath,
    ['--enable-source-maps', '--import', 'tsx', join(__dirname, 'sourcemap', 'run.ts'), join(dir, 'throws.js')],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  assert.is(child.status, 0, `~> the child ran: ${child.stderr}`);
  const frames = JSON.parse(child.stdout) as Record<string, string>;
  const text = readFileSync(SOURCE, 'utf8');
  const expected: Record<string, [string, string]> = {
    sync: ['syncThrow', throwSite(text, 'function syncThrow')],
    async: ['asyncThrow', throwSite(text, 'function asyncThrow')],
    generator: ['generatorThrow', throwSite(text, 'function* generatorThrow')],
    'async generator': ['asyncGeneratorThrow', throwSite(text, 'function* asyncGeneratorThrow')],
    arrow: ['arrowThrow', throwSite(text, 'const arrowThrow')],
    method: ['Service.method', throwSite(text, 'method(): never')],
  };
  for (const [label, [fn, site]] of Object.entries(expected)) {
    const frame = frames[label];
    assert.ok(frame.includes(`${SOURCE}:${site}`), `~> ${label}: ${frame} points at throws.ts:${site}`);
    assert.ok(frame.includes(fn), `~> ${label}: ${frame} is in ${fn}, not in a wrapper`);
  }
});
stacks.run();

const positions = suite('statement positions');

/** Generated lines that are the rewrite's own: they have no counterpart in the plain output. */
const GENERATED = [
  /^import \* as __traced from /,
  /^__traced\.requireVersion\(/,
  /^function \$site_\d+\(\) \{ return __traced\.v1\.site\(/,
  /^const \$s = __traced\.v1\.enter\(/,
  /^try \{$/,
  /^catch \(\$e\) \{$/,
  /^__traced\.v1\.fail\(\$s, \$e\);$/,
  /^throw \$e;$/,
  /^finally \{$/,
  /^__traced\.v1\.exit\(\$s\);$/,
  /^__traced\.v1\.back\(\$s\);$/,
];
/** Lines of braces and punctuation only: the rewrite puts one-line bodies on several lines. */
const PUNCTUATION = /^[{}()[\],;]+$/;

/** `line:column` in the source of each user line of the output, in output order. */
function origins(js: string, map: string): string[] {
  const sourceMap = new SourceMap(JSON.parse(map));
  return js.split('\n').flatMap((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('//#') || PUNCTUATION.test(text) || GENERATED.some((g) => g.test(text))) return [];
    const entry = sourceMap.findEntry(i, line.search(/\S/)) as { originalLine?: number; originalColumn?: number };
    return [`${entry.originalLine! + 1}:${entry.originalColumn! + 1}`];
  });
}

positions('every statement maps where it maps in the plain output, for every kinds/returns/suspensions fixture', () => {
  const fixtures = join(__dirname, 'fixtures');
  const cases = ['kinds-sync', 'kinds-async', 'kinds-generator', 'kinds-async-generator', 'returns', 'suspensions'].flatMap(
    (group) => readdirSync(join(fixtures, group)).map((name) => join(fixtures, group, name, 'input.ts')),
  );
  assert.ok(cases.length >= 15, '~> the fixtures were found');
  for (const fileName of cases) {
    const compile = (pluginOptions: {} | null) =>
      compileFile({ fileName, pluginOptions, compilerOptions: { sourceMap: true, types: ['node'] } });
    const plain = compile(null);
    const traced = compile({});
    assert.ok(traced.js.includes('__traced.v1.enter'), `~> ${fileName} is instrumented`);
    // The rewrite adds lines (a concise arrow's new `return` maps to its expression): the plain positions must
    // all be there, in the same order.
    const expected = origins(plain.js, plain.map!);
    const actual = origins(traced.js, traced.map!);
    let found = 0;
    for (const origin of actual) if (origin === expected[found]) found++;
    assert.is(found, expected.length, `~> ${fileName}: ${expected[found]} is missing or out of order in ${actual.join(' ')}`);
  }
});
positions.run();
