/**
 * The real thing: ts-patch 3's `tspc` compiles a tiny project whose tsconfig loads the plugin through the
 * package's `exports`, from a build of this checkout (test/helpers/tspc.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPackage, runNode as run, TSC, TSPC, tspcProject as project } from '../helpers/tspc';

const ORDERS = `
import { traced } from 'ts-traced';

export class Orders {
  @traced({ tags: { component: 'orders' } })
  async place(id: string): Promise<string> {
    await null;
    return \`placed \${priceOf(id.length)}\`;
  }
}

/** @traced */
export function priceOf(count: number): number {
  return count * 2;
}

export function notSelected(): number {
  return 0;
}
`;

const MAIN = `
import { MockTracer } from 'opentracing';
import { setTracer } from 'ts-traced';
import { Orders } from './orders';

const tracer = new MockTracer();
setTracer(tracer);
new Orders().place('abc').then((result) => {
  const spans = tracer.report().spans.map((s) => s.operationName());
  console.log(JSON.stringify({ result, spans }));
});
`;

const test = suite('tspc');

test.before(() => {
  buildPackage();
});

test('compiles a project with the plugin: exit code 0, traced output that runs and records spans', () => {
  const dir = project('ok', { 'src/orders.ts': ORDERS, 'src/main.ts': MAIN });
  const compiled = run(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is(compiled.status, 0, `~> tspc succeeded: ${compiled.output}`);
  const js = readFileSync(join(dir, 'dist', 'orders.js'), 'utf8');
  assert.match(js, 'const __traced = require("ts-traced/runtime");');
  assert.match(js, /const \$s = __traced\.v1\.enter\(\$site_\d\);/);
  assert.not.match(js, /function notSelected\(\) \{\s+const \$s/, '~> only selected functions are traced');
  assert.not.match(js, /traced\)\(\{ tags/, '~> the @traced decorator is gone');
  const executed = run(join(dir, 'dist', 'main.js'), [], dir);
  assert.is(executed.status, 0, `~> the output runs: ${executed.output}`);
  assert.equal(JSON.parse(executed.output), { result: 'placed 6', spans: ['Orders.place', 'priceOf'] });
});

test('a bad traced.config.json fails the build with the TT diagnostic at its file and line', () => {
  const dir = project('bad-config', {
    'src/orders.ts': ORDERS,
    'traced.config.json': '{\n  "include": ["src/**"],\n  "inclde": ["x"]\n}\n',
  });
  const compiled = run(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is.not(compiled.status, 0, '~> non-zero exit code');
  assert.match(compiled.output, /traced\.config\.json\(3,3\): error TS91003: TT1003: inclde: unknown key/);
  const js = readFileSync(join(dir, 'dist', 'orders.js'), 'utf8');
  assert.not.match(js, '__traced', '~> files are left untouched');
});

test('a construct that cannot be traced fails the build at its line; the rest is traced', () => {
  const source = `${ORDERS}
/** @traced */
export async function query(): Promise<number> {
  await using connection = { [Symbol.asyncDispose]: async () => {} };
  return connection ? 1 : 0;
}
`;
  const dir = project('untraceable', { 'src/orders.ts': source }, { lib: ['ES2022', 'ESNext.Disposable'] });
  const compiled = run(TSPC, ['-p', dir, '--pretty', 'false'], dir);
  assert.is.not(compiled.status, 0, '~> non-zero exit code');
  const errors = compiled.output.trim().split('\n');
  assert.equal(errors.length, 1, `~> one error, ours: ${compiled.output}`);
  const lines = source.split('\n');
  const line = lines.findIndex((l) => l.includes('await using'));
  const at = `src/orders.ts(${line + 1},${lines[line].indexOf('await using') + 1})`;
  assert.ok(errors[0].startsWith(`${at}: error TS93001: TT3001: "await using" in a traced function`), `~> ${errors[0]}`);
  const js = readFileSync(join(dir, 'dist', 'orders.js'), 'utf8');
  assert.match(js, /function priceOf\(count\) \{\s+const \$s/, '~> other functions are traced');
});

test('tspc --noEmit with the plugin reports what tsc --noEmit reports', () => {
  const dir = project('no-emit', {
    'src/orders.ts': ORDERS,
    'src/broken.ts': 'export const n: number = "not a number";\n',
  });
  const patched = run(TSPC, ['-p', dir, '--noEmit', '--pretty', 'false'], dir);
  const plain = run(TSC, ['-p', dir, '--noEmit', '--pretty', 'false'], dir);
  assert.match(plain.output, 'TS2322', '~> the project has its own error');
  assert.is(patched.output, plain.output, '~> the same diagnostics');
  assert.is(patched.status, plain.status, '~> the same exit code');
});

test.run();
