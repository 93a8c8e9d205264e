/**
 * Build cost: `tspc` with the ts-traced plugin against plain `tsc` on a generated project of about 500 files
 * (half under a config rule, the rest with `/** @traced *\/` markers on some functions), in a temporary folder.
 * Also `traced codegen`, when the CLI has it.
 *
 *   npx tsx bench/build.ts [--quick] [--keep]      (--keep: leave the generated project, to profile a compile)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './lib/measure';
import { PKG_DIR, preparePackage, ROOT } from './lib/prepare';
import { describeMachine, fixed, quick, ratio, table, writeResults } from './lib/report';

const FILES = quick ? 40 : 500;
const REPS = quick ? 5 : 7;

function service(i: number): string {
  const model = `../models/model${i}`;
  return `import { type Item${i}, sum${i} } from '${model}';

export class Service${i} {
  private readonly cache = new Map<string, Item${i}>();
  constructor(private readonly prefix: string) {}

  async load(id: string): Promise<Item${i}> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const item: Item${i} = { id: this.prefix + id, values: [${i}, ${i + 1}, ${i + 2}] };
    await Promise.resolve();
    this.cache.set(id, item);
    return item;
  }

  total(items: readonly Item${i}[]): number {
    return items.reduce((acc, item) => acc + sum${i}(item), 0);
  }

  *ids(): Generator<string> {
    for (const key of this.cache.keys()) yield key;
  }

  getSize(): number {
    return this.cache.size;
  }
}

export const describe${i} = (s: Service${i}) => \`Service${i}(\${s.getSize()})\`;
`;
}

function model(i: number): string {
  return `export interface Item${i} {
  readonly id: string;
  readonly values: readonly number[];
}

/** @traced */
export function sum${i}(item: Item${i}): number {
  let total = 0;
  for (const v of item.values) total += v;
  return total;
}

export function label${i}(item: Item${i}): string {
  return \`\${item.id}:\${sum${i}(item)}\`;
}

export type Pair${i} = [Item${i}, Item${i}];
`;
}

/** Writes the project; node_modules links `typescript` (for tspc) and `ts-traced` (the package build). */
function generate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-traced-build-'));
  mkdirSync(join(dir, 'src/services'), { recursive: true });
  mkdirSync(join(dir, 'src/models'), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules/typescript'), join(dir, 'node_modules/typescript'), 'dir');
  symlinkSync(PKG_DIR, join(dir, 'node_modules/ts-traced'), 'dir');
  for (let i = 0; i < FILES / 2; i++) {
    writeFileSync(join(dir, `src/services/service${i}.ts`), service(i));
    writeFileSync(join(dir, `src/models/model${i}.ts`), model(i));
  }
  const compilerOptions = { target: 'ES2022', module: 'commonjs', strict: true, skipLibCheck: true, types: [], rootDir: 'src' };
  const tsconfig = (outDir: string, plugins: object[]) => ({ compilerOptions: { ...compilerOptions, outDir, plugins }, include: ['src'] });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig('dist-tsc', [])));
  writeFileSync(join(dir, 'tsconfig.tspc.json'), JSON.stringify(tsconfig('dist-tspc-plain', [])));
  writeFileSync(join(dir, 'tsconfig.traced.json'), JSON.stringify(tsconfig('dist-tspc', [{ transform: 'ts-traced/transformer' }])));
  writeFileSync(join(dir, 'cpu-reporter.js'), CPU_REPORTER);
  writeFileSync(join(dir, 'traced.config.json'), JSON.stringify({ include: ['src/services/**'], functions: { exclude: ['get*'] } }));
  return dir;
}

/** Preloaded into each compile: prints the process's CPU seconds on stderr when it exits. */
const CPU_REPORTER = `process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\ncpu ' + (u.user + u.system) / 1e6 + '\\n'); });\n`;

/** Wall and CPU seconds of one compile. */
function compile(dir: string, cli: string, project: string): { wall: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--require', join(dir, 'cpu-reporter.js'), cli, '-p', project], { cwd: dir, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (result.status !== 0) throw new Error(`${cli} -p ${project} failed:\n${result.stdout}\n${result.stderr}`);
  return { wall, cpu: Number(/cpu ([0-9.]+)/.exec(result.stderr)?.[1]) };
}

/** `traced codegen` (instrumented sources written to a folder, for compilers without a transformer API). */
function measureCodegen(dir: string, tscCpu: number) {
  const cli = join(PKG_DIR, 'dist/cli/index.js');
  const run = () => {
    const out = join(dir, 'codegen-out');
    rmSync(out, { recursive: true, force: true });
    const t0 = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--require', join(dir, 'cpu-reporter.js'), cli, 'codegen', 'tsconfig.traced.json', '--out', out], {
      cwd: dir,
      encoding: 'utf8',
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (result.status !== 0) throw new Error(`traced codegen failed:\n${result.stdout}\n${result.stderr}`);
    return { wall, cpu: Number(/cpu ([0-9.]+)/.exec(result.stderr)?.[1]) };
  };
  run(); // warm-up
  const samples = Array.from({ length: REPS }, run);
  const cpu = median(samples.map((s) => s.cpu));
  const wall = median(samples.map((s) => s.wall));
  console.log(`traced codegen of the same project: ${fixed(cpu, 2)} CPU s (${ratio(cpu / tscCpu)} of tsc's build), ${fixed(wall, 2)} s wall`);
  return { samples, cpu, wall, ratioToTsc: cpu / tscCpu };
}

function main() {
  preparePackage(console.log);
  console.log(`build${quick ? ' (quick)' : ''}: ${describeMachine()}`);
  const dir = generate();
  try {
    const compilers = {
      tsc: () => compile(dir, join(ROOT, 'node_modules/typescript/bin/tsc'), 'tsconfig.json'),
      ...(quick ? {} : { 'tspc, no plugin': () => compile(dir, join(ROOT, 'node_modules/ts-patch/bin/tspc.js'), 'tsconfig.tspc.json') }),
      'tspc + ts-traced': () => compile(dir, join(ROOT, 'node_modules/ts-patch/bin/tspc.js'), 'tsconfig.traced.json'),
    };
    for (const run of Object.values(compilers)) run(); // warm-up: disk cache, ts-patch's patched-compiler cache
    const samples = Object.fromEntries(Object.keys(compilers).map((name) => [name, [] as { wall: number; cpu: number }[]]));
    for (let r = 0; r < REPS; r++) for (const [name, run] of Object.entries(compilers)) samples[name].push(run());
    const traced = spawnSync('grep', ['-rl', '__traced.v1.enter', join(dir, 'dist-tspc')], { encoding: 'utf8' }).stdout.trim().split('\n').length;
    const med = (name: string, key: 'wall' | 'cpu') => median(samples[name].map((s) => s[key]));
    const medians = Object.fromEntries(Object.keys(compilers).map((name) => [name, { wall: med(name, 'wall'), cpu: med(name, 'cpu') }]));
    const ratios = {
      wall: medians['tspc + ts-traced'].wall / medians.tsc.wall,
      cpu: medians['tspc + ts-traced'].cpu / medians.tsc.cpu,
      /** What the plugin itself adds, over tspc without it (ts-patch's own start-up cost excluded). */
      pluginCpu: quick ? undefined : medians['tspc + ts-traced'].cpu / medians['tspc, no plugin'].cpu,
    };
    console.log(`\nBuild of ${FILES} files (${traced} emitted with traced functions), median of ${REPS}, seconds`);
    console.log(
      table(
        ['compiler', 'CPU s', '× tsc', 'wall s', '× tsc'],
        Object.entries(medians).map(([name, m]) => [name, fixed(m.cpu, 2), ratio(m.cpu / medians.tsc.cpu), fixed(m.wall, 2), ratio(m.wall / medians.tsc.wall)]),
      ),
    );
    const codegen = existsSync(join(PKG_DIR, 'dist/cli/codegen.js')) ? measureCodegen(dir, medians.tsc.cpu) : undefined;
    if (codegen === undefined) console.log('traced codegen: not in the CLI; not measured');
    console.log(`\nwrote ${writeResults('build', { files: FILES, filesWithTracedFunctions: traced, repetitions: REPS, samples, medians, ratios, codegen })}`);
  } finally {
    if (process.argv.includes('--keep')) console.log(`project kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main();
