/**
 * Timing inside a benchmark process. Time is the process's CPU time (user + system, every thread), not the wall
 * clock: on a shared machine a process that waits for a core is not charged for the wait, so the numbers stay
 * comparable when others are busy. Each repetition is sized to take about the same time.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { OUT_DIR, PKG_DIR } from './prepare';

/** CPU time of this process, in nanoseconds. */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

type Run = (count: number) => unknown;

/** How many iterations of `run` take about `repNs` of CPU. */
async function calibrate(run: Run, repNs: number): Promise<number> {
  for (let count = 256; ; count *= 2) {
    const t0 = cpuNow();
    await run(count);
    const dt = cpuNow() - t0;
    if (dt >= 20e6) return Math.max(1, Math.round((count * repNs) / dt));
  }
}

/**
 * Calibrates every loop in `runs` so that one repetition takes about `repNs` of CPU, warms them all up, then runs
 * `reps` rounds, each loop once per round (so a busy moment on the machine is shared among them), and returns the
 * nanoseconds per iteration of each repetition, by loop.
 */
export async function sample<K extends string>(runs: Record<K, Run>, reps: number, repNs: number): Promise<Record<K, number[]>> {
  const keys = Object.keys(runs) as K[];
  const counts = {} as Record<K, number>;
  for (const k of keys) counts[k] = await calibrate(runs[k], repNs);
  for (const k of keys) await runs[k](counts[k]);
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < reps; r++) {
    for (const k of keys) {
      const t0 = cpuNow();
      await runs[k](counts[k]);
      samples[k].push((cpuNow() - t0) / counts[k]);
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `require` as the built package resolves: its `ts-traced/*` subpaths and the repository's dependencies. */
export const packageRequire = createRequire(join(PKG_DIR, 'dist', 'index.js'));

/** `require` for the compiled fixtures in bench/.out. */
export const outRequire = createRequire(join(OUT_DIR, 'index.js'));

/** Prints the one JSON line a worker hands back to the parent. */
export function reply(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
