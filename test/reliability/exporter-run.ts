/**
 * C4.64's child run, shared by the test and the soak: fixtures/exporter-child.ts serves loopback load for
 * `seconds` through ts-traced/setup with an OTLP endpoint that refuses connections, and prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { closedPort } from '../helpers/closed-port';
import { ROOT } from '../helpers/compile';
import { FIXTURES } from './support';

export interface ExporterRun {
  readonly requests: number;
  readonly mismatches: number;
  readonly heap: number[];
  readonly registered: number;
  readonly retained: number;
  readonly unhandled: number;
  readonly uncaught: number;
  readonly tracer: string;
}

/** Runs the child with `env` over the OTLP settings; its exit status, stderr and JSON line. */
export async function runExporterChild(seconds: number, env: Record<string, string>): Promise<{ status: number | null; stderr: string; run: ExporterRun }> {
  const port = await closedPort();
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', '--unhandled-rejections=strict', join(FIXTURES, 'exporter-child.ts'), String(seconds)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
    env: {
      ...process.env,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      TRACED_CLIENTS: 'none',
      ...env,
    },
  });
  return { status: out.status, stderr: out.stderr, run: JSON.parse(out.stdout.trim().split('\n').at(-1) || '{}') as ExporterRun };
}
