/**
 * `ts-traced/bundler` (loaded through the package's exports, as users load it) in real builds of the pipeline
 * test app: esbuild and Vite (a server-side build). Each bundle must log what the plain build logs, with no
 * tracer and with one, and record the tspc build's spans; stack traces through the bundle's source map name
 * the source line. A traced function called through an import cycle before its module's body ran is traced, in
 * CommonJS and ES module bundles. A marker error fails the build with its position.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bundle, packageUnderTest, referenceRuns, runApp, stackFrame, stageApp, stageStackApp, TMP } from './harness';

type Bundler = typeof import('../../src/bundler');

function tracedBundler(): Bundler {
  packageUnderTest();
  return createRequire(join(TMP, 'resolve-from.js'))('ts-traced/bundler') as Bundler;
}

async function viteBuild(app: string, entry: string, outDir: string): Promise<void> {
  const vite = await import('vite');
  await vite.build({
    root: app,
    configFile: false,
    logLevel: 'silent',
    plugins: [tracedBundler().vite()],
    build: { ssr: entry, outDir, sourcemap: true, minify: false, rollupOptions: { output: { entryFileNames: 'main.mjs' } } },
  });
}

const bundler = suite('ts-traced/bundler');

bundler('esbuild: the plain transcript, the tspc build\'s spans', async () => {
  const { plain, tspc } = await referenceRuns();
  const app = stageApp('bundler-esbuild', 'module');
  await bundle(join(app, 'src', 'main.ts'), join(app, 'out', 'main.mjs'), 'esm', [tracedBundler().esbuild({ tsconfig: join(app, 'tsconfig.json') })]);
  const main = join(app, 'out', 'main.mjs');
  assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
});

bundler('Vite (server-side build): the plain transcript, the tspc build\'s spans', async () => {
  const { plain, tspc } = await referenceRuns();
  const app = stageApp('bundler-vite', 'module');
  await viteBuild(app, 'src/main.ts', 'out');
  const main = join(app, 'out', 'main.mjs');
  assert.equal(runApp(main, 'plain').lines, plain.lines, '~> no tracer: same transcript as plain');
  const recorded = runApp(main, 'record');
  assert.equal(recorded.lines, plain.lines, '~> recording: same transcript as plain');
  assert.equal(recorded.spans, tspc.spans, '~> the same spans as the tspc build');
});

for (const tool of ['esbuild', 'vite'] as const) {
  bundler(`${tool}: stack traces through the bundle's source map name the source line and column`, async () => {
    const app = stageStackApp(`bundler-stack-${tool}`, 'module');
    if (tool === 'esbuild') {
      const plugin = tracedBundler().esbuild({ tsconfig: join(app, 'tsconfig.json') });
      await bundle(join(app, 'src', 'stack.ts'), join(app, 'out', 'main.mjs'), 'esm', [plugin]);
    } else await viteBuild(app, 'src/stack.ts', 'out');
    const { printed, expected } = stackFrame(app, join(app, 'out', 'main.mjs'));
    assert.is(printed, expected);
  });
}

// Importing cycle-a runs cycle-b first, which calls `greet` before cycle-a's body has run.
const CYCLE = {
  'cycle-a.ts': `import { early } from './cycle-b.js';

/** @traced */
export function greet(name: string): string {
  return \`hello \${name}\`;
}

export async function run(log: (line: string) => void): Promise<void> {
  log(early);
  log(greet('later'));
}
`,
  'cycle-b.ts': `import { greet } from './cycle-a.js';

/** @traced */
function shout(name: string): string {
  return greet(name).toUpperCase();
}

export const early = shout('early');
`,
};

for (const format of ['cjs', 'esm'] as const) {
  bundler(`esbuild, ${format} output: a traced function called through an import cycle while its module loads is traced`, async () => {
    const app = stageApp(`bundler-cycle-${format}`, 'commonjs');
    for (const [name, text] of Object.entries(CYCLE)) writeFileSync(join(app, 'src', name), text);
    const main = join(app, 'out', format === 'cjs' ? 'main.js' : 'main.mjs');
    await bundle(join(app, 'src', 'cycle-a.ts'), main, format, [tracedBundler().esbuild({ tsconfig: join(app, 'tsconfig.json') })]);
    const recorded = runApp(main, 'record');
    assert.equal(recorded.lines, ['HELLO EARLY', 'hello later']);
    assert.equal(runApp(main, 'plain').lines, recorded.lines, '~> no tracer: the same transcript');
    assert.equal(
      recorded.spans.map((s) => s.split(' finished=')[0]),
      ['shout', 'shout > greet', 'greet'],
      '~> the early call is traced, under shout',
    );
  });
}

bundler('a marker error fails the build with the file, line and message', async () => {
  const app = stageApp('bundler-marker-error', 'module');
  writeFileSync(join(app, 'src', 'main.ts'), "import { traced } from 'ts-traced';\n@traced\nexport class Whole {}\n");
  let message = '';
  try {
    await bundle(join(app, 'src', 'main.ts'), join(app, 'out', 'main.mjs'), 'esm', [tracedBundler().esbuild({ tsconfig: join(app, 'tsconfig.json') })]);
  } catch (error) {
    message = (error as Error).message;
  }
  assert.match(message, /src\/main\.ts\(2,1\): error TS92005: TT2005: @traced on a class/);
});

bundler.run();
