/**
 * Runs a fixture app in a child Node process with `--import <setup>` and a clean environment (no OTEL_*,
 * TRACED_* or NODE_ENV from the test's own), and collects its output and how it ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
export const FIXTURES = join(__dirname, 'fixtures');

export interface ChildResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunningChild {
  readonly process: ChildProcess;
  /** Resolves when stdout has printed `text`. */
  waitFor(text: string, ms?: number): Promise<void>;
  readonly done: Promise<ChildResult>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(OTEL_|TRACED_)/.test(key) && key !== 'NODE_ENV' && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return { ...env, ...extra, NO_COLOR: '1' };
}

/** `node <nodeArgs> <script> <args>` in ROOT; kills it after `ms` if it has not ended. */
export function startChild(nodeArgs: readonly string[], script: string, args: readonly string[], env: Record<string, string>, ms = 20_000): RunningChild {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout!.on('data', (d) => {
    stdout += d;
    for (const w of watchers) w();
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const limit = setTimeout(() => child.kill('SIGKILL'), ms);
  const done = new Promise<ChildResult>((r) =>
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      r({ stdout, stderr, code, signal });
    }),
  );
  return {
    process: child,
    done,
    waitFor(text, wait = 10_000) {
      return new Promise((ok, fail) => {
        const check = () => {
          if (!stdout.includes(text)) return;
          watchers.delete(check);
          clearTimeout(timer);
          ok();
        };
        const timer = setTimeout(() => fail(new Error(`no "${text}" on stdout in ${wait} ms; stderr: ${stderr}`)), wait);
        watchers.add(check);
        check();
      });
    },
  };
}

/** A fixture app (TypeScript, through tsx) with the set-up loaded from source first. */
export function runApp(mode: string, env: Record<string, string>, app = 'app.ts'): RunningChild {
  return startChild(['--import', 'tsx', '--import', join(ROOT, 'src/setup.ts')], join(FIXTURES, app), [mode], env);
}
