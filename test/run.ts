/**
 * Runs every `*.test.ts` under test/ (or the folders given) in its own Node process through tsx, so that
 * patched libraries, tracers and AsyncLocalStorage state never leak between files. Prints each file's
 * result, the failures in full, and last the line CI reads: `N passed, N failed, N skipped`.
 *
 *   tsx test/run.ts [folder-or-file ...]
 *
 * Environment:
 *   TEST_JOBS         files run at once (default 2)
 *   TRACED_NODE_24    path to a Node 24 binary: the runtime tests (test/runtime/**) also run on it
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const tsxLoader = 'tsx';

interface Job { readonly file: string; readonly node: string; readonly label: string }
interface Outcome { readonly passed: number; readonly failed: number; readonly skipped: number; readonly output: string; readonly ms: number }

function findTests(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && e.name !== 'fixtures' && !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => findTests(join(path, e.name)));
}

/** uvu prints `Total`, `Passed` and `Skipped` per process; a crash before that counts as one failure. */
function parseSummary(output: string, code: number | null): Pick<Outcome, 'passed' | 'failed' | 'skipped'> {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const sum = (label: string) =>
    [...plain.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  const total = sum('Total');
  const passed = sum('Passed');
  const skipped = sum('Skipped');
  let failed = total - passed;
  if (code !== 0 && failed === 0) failed = 1;
  return { passed, failed, skipped };
}

function runOne(job: Job): Promise<Outcome> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(job.node, ['--import', tsxLoader, '--expose-gc', job.file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const limit = setTimeout(() => {
      output += `\n[run] ${job.label} timed out after 10 minutes\n`;
      child.kill('SIGKILL');
    }, 600_000);
    child.on('close', (code) => {
      clearTimeout(limit);
      done({ ...parseSummary(output, code), output, ms: Date.now() - started });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const targets = (args.length ? args : ['test']).map((a) => resolve(root, a));
  const files = targets.flatMap(findTests);
  const jobs: Job[] = files.map((file) => ({ file, node: process.execPath, label: relative(root, file) }));
  const node24 = process.env.TRACED_NODE_24;
  if (node24) {
    if (!existsSync(node24)) throw new Error(`TRACED_NODE_24=${node24} does not exist`);
    for (const file of files) {
      if (relative(root, file).startsWith(join('test', 'runtime'))) {
        jobs.push({ file, node: node24, label: `${relative(root, file)} [node 24]` });
      }
    }
  }

  const width = Math.max(1, Number(process.env.TEST_JOBS) || 2);
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const failures: string[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < jobs.length) {
      const job = jobs[next++];
      const r = await runOne(job);
      totals.passed += r.passed;
      totals.failed += r.failed;
      totals.skipped += r.skipped;
      const mark = r.failed ? 'FAIL' : 'ok  ';
      const skip = r.skipped ? `, ${r.skipped} skipped` : '';
      console.log(`${mark} ${job.label}  ${r.passed} passed, ${r.failed} failed${skip}  (${r.ms} ms)`);
      if (r.failed) failures.push(`──── ${job.label}\n${r.output.trim()}\n`);
      else if (/SKIP/.test(r.output)) for (const l of r.output.split('\n')) if (l.includes('SKIP')) console.log(`     ${l.trim()}`);
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  if (failures.length) console.log(`\n${failures.join('\n')}`);
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exitCode = totals.failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exitCode = 1;
});
