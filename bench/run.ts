/**
 * `npm run bench` / `npm run bench:quick`: every benchmark in turn, each printing its tables and writing
 * bench/results/<name>.json. Installs the peers (bench's own package) on first use.
 *
 *   npx tsx bench/run.ts [--quick] [--node 20,24] [call-overhead http build memory]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, preparePackage, ROOT } from './lib/prepare';

const ALL = ['call-overhead', 'memory', 'build', 'http'];

function sh(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exitCode = 1;
}

const named = process.argv.slice(2).filter((a) => ALL.includes(a));
const passed = process.argv.slice(2).filter((a) => !ALL.includes(a));
if (!existsSync(join(BENCH_DIR, 'node_modules', 'autocannon'))) {
  console.log('installing the benchmark peers: npm ci --prefix bench');
  sh('npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund']);
}
preparePackage(console.log);
process.env.TRACED_BENCH_BUILT = '1';
const started = Date.now();
for (const name of named.length ? named : ALL) {
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  sh(process.execPath, ['--import', 'tsx', join(BENCH_DIR, `${name}.ts`), ...passed]);
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log(`\nbench: ${((Date.now() - started) / 1000).toFixed(0)} s`);
