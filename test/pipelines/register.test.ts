/**
 * `ts-traced/register`, as users start it: `node --import ts-traced/register <app>.ts` in a child process, on the
 * pipeline test app staged as an ES module package and as a CommonJS one. On Node 20 the hooks run in a loader
 * thread (import) and in `Module._extensions` (require); on Node 24 (compat/node24) through
 * `module.registerHooks`, and on Node 22 (compat/ts6) too. Every run must log what the plain build logs and record the tspc build's spans.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/compile';
import { referenceRuns, runApp, stageApp } from './harness';

const NODE_24 = join(ROOT, 'compat', 'node24', 'node_modules', '.bin', 'node');
const NODE_22 = join(ROOT, 'compat', 'ts6', 'node_modules', '.bin', 'node');

const register = suite('ts-traced/register');

const matrix: { label: string; type: 'module' | 'commonjs'; args: string[]; node?: string }[] = [
  { label: 'ES modules, Node 20 (module.register)', type: 'module', args: ['--import', 'ts-traced/register'] },
  { label: 'CommonJS, Node 20 (Module._extensions)', type: 'commonjs', args: ['--import', 'ts-traced/register'] },
  { label: 'CommonJS through --require, Node 20', type: 'commonjs', args: ['--require', 'ts-traced/register'] },
  { label: 'ES modules, Node 24 (module.registerHooks)', type: 'module', args: ['--import', 'ts-traced/register'], node: NODE_24 },
  { label: 'CommonJS, Node 24 (module.registerHooks)', type: 'commonjs', args: ['--import', 'ts-traced/register'], node: NODE_24 },
  { label: 'ES modules, Node 22 (module.registerHooks)', type: 'module', args: ['--import', 'ts-traced/register'], node: NODE_22 },
  { label: 'ES modules beside tsx (tsx first)', type: 'module', args: ['--import', 'tsx', '--import', 'ts-traced/register'] },
  { label: 'CommonJS beside tsx (tsx first)', type: 'commonjs', args: ['--import', 'tsx', '--import', 'ts-traced/register'] },
];

for (const { label, type, args, node } of matrix) {
  register(`${label}: the plain transcript, and the tspc build's spans`, async () => {
    if (node) assert.ok(existsSync(node), `${node} is installed by npm ci --prefix compat/<name>`);
    const { plain, tspc } = await referenceRuns();
    const app = stageApp(`register-${type}-${label.replace(/\W+/g, '-')}`, type);
    const main = join(app, 'src', 'main.ts');
    assert.equal(runApp(main, 'plain', args, node, app).lines, plain.lines, '~> no tracer: same transcript as plain');
    const recorded = runApp(main, 'record', args, node, app);
    assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
    assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
  });
}

/** Runs `file` in the staged app with the hook; returns stdout, failing on a non-zero exit. */
function runWithHook(app: string, file: string, node = process.execPath, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(node, ['--import', 'ts-traced/register', file], { cwd: app, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.is(result.status, 0, `~> ${file} exited with ${result.status}: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

const STACK = `/** @traced */
export function fail(reason: string): never {
  const error = new Error(reason);
  throw error;
}

try {
  fail('boom');
} catch (error) {
  console.log((error as Error).stack!.split('\\n')[1].trim());
}
`;

for (const [type, node] of [['module', undefined], ['commonjs', undefined], ['module', NODE_24]] as const) {
  register(`stack traces name the source line and column (${type}${node ? ', Node 24' : ''})`, () => {
    const app = stageApp(`register-stack-${type}${node ? '-24' : ''}`, type);
    writeFileSync(join(app, 'src', 'stack.ts'), STACK);
    const { stdout } = runWithHook(app, 'src/stack.ts', node);
    const column = STACK.split('\n')[2].indexOf('new Error') + 1;
    assert.is(stdout.trim(), `at fail (${join(app, 'src', 'stack.ts')}:3:${column})`);
  });
}

register('JavaScript of the project with a marker is traced too, in both module systems', () => {
  const app = stageApp('register-javascript', 'commonjs');
  const script = (load: string) => `${load}
/** @traced */
function twice(n) { return n * 2; }
const tracer = new MockTracer();
setTracer(tracer);
console.log(twice(21), tracer.report().spans.map((s) => s.operationName()).join(','));
`;
  writeFileSync(join(app, 'src', 'legacy.cjs'), script("const { MockTracer } = require('opentracing');\nconst { setTracer } = require('ts-traced');"));
  writeFileSync(join(app, 'src', 'modern.mjs'), script("import { MockTracer } from 'opentracing';\nimport { setTracer } from 'ts-traced';"));
  assert.is(runWithHook(app, 'src/legacy.cjs').stdout, '42 twice\n');
  assert.is(runWithHook(app, 'src/modern.mjs').stdout, '42 twice\n');
  assert.is(runWithHook(app, 'src/modern.mjs', NODE_24).stdout, '42 twice\n');
});

register('a config with an error is a warning naming file, line and key; the app runs untraced', () => {
  const app = stageApp('register-bad-config', 'module');
  writeFileSync(join(app, 'traced.config.json'), '{\n  "include": ["src/services/**"],\n  "functions": { "exclud": [] }\n}\n');
  writeFileSync(join(app, 'src', 'probe.ts'), `import { priceOf } from './pricing.js';\nconsole.log(priceOf([{ sku: 'a', quantity: 2, cents: 3 }]), priceOf.toString().includes('__traced'));\n`);
  const { stdout, stderr } = runWithHook(app, 'src/probe.ts');
  assert.is(stdout, '6 false\n', '~> untraced, and it still runs');
  assert.match(stderr, /traced\.config\.json\(3,18\): error TS91003: TT1003: functions\.exclud: unknown key/);
  assert.ok(readFileSync(join(app, 'src', 'pricing.ts'), 'utf8').includes('/** @traced */'), '~> sources untouched');
});

register.run();
