/**
 * The parent side of every benchmark: run a worker in a process of its own, print tables, write
 * bench/results/<name>.json with the machine it ran on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, ROOT } from './prepare';

export const quick = process.argv.includes('--quick');

/** Node binaries the suite can run on, by major version: this process's own, and the compat/ packages. */
export function nodeBinary(major: string): string | undefined {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const path = join(ROOT, 'compat', `node${major}`, 'node_modules', '.bin', 'node');
  return existsSync(path) ? path : undefined;
}

export function nodeVersion(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** Versions asked for with `--node 20,24` (default: this process's). */
export function requestedNodes(fallback: readonly string[] = [process.versions.node.split('.')[0]]): string[] {
  const i = process.argv.indexOf('--node');
  return i > 0 ? process.argv[i + 1].split(',') : [...fallback];
}

/** Runs `bench/workers/<worker>.ts` with `node --import tsx` and returns the JSON line it printed last. */
export function runWorker<T>(worker: string, args: readonly string[], node = process.execPath, env: NodeJS.ProcessEnv = {}): T {
  const result = spawnSync(node, ['--import', 'tsx', join(BENCH_DIR, 'workers', `${worker}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = (result.stdout ?? '').trim().split('\n');
  if (result.status !== 0 || !lines[lines.length - 1].startsWith('{')) {
    throw new Error(`worker ${worker} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`);
  }
  return JSON.parse(lines[lines.length - 1]) as T;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  /** 1-minute load average when the benchmark started: above the core count, others were busy. */
  readonly load: number;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load: Math.round(loadavg()[0] * 10) / 10,
  };
}

export function describeMachine(m: Machine = machine()): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, load ${m.load} at start`;
}

/** Writes bench/results/<name>.json. */
export function writeResults(name: string, data: Record<string, unknown>): string {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ name, quick, date: new Date().toISOString(), machine: machine(), ...data }, null, 2)}\n`);
  return path;
}

/** A text table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–');
