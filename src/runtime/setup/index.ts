/**
 * `ts-traced/setup`'s work: choose and start a tracer from the environment (env.ts), and keep finished spans
 * from being lost at exit (flush.ts). OpenTelemetry is loaded only when the set-up uses it, and the development
 * tracer only when that is chosen. Nothing here throws into the app: a problem is one line on stderr and
 * tracing is off for that part.
 */
import { closeSync, openSync } from 'node:fs';
import type { PropagationFormat } from '../propagation';
import type { PropagatorName } from '../otel/names';
import { getTracer, setTracer } from '../tracer';
import { installClients } from './clients';
import { readSetupEnv, type SetupConfig } from './env';
import { installFlushHooks, type FlushHooks } from './flush';

export interface SetupResult {
  readonly config: SetupConfig;
  readonly problems: readonly string[];
  /** Exports what has finished (OpenTelemetry, the file); resolves at once for the console tree. */
  flush(): Promise<void>;
}

const OTEL_PACKAGES = [
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/shim-opentracing',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/resources',
  '@opentelemetry/semantic-conventions',
].join(' ');

const DEV_FORMAT: Partial<Record<PropagatorName, PropagationFormat>> = {
  tracecontext: 'w3c',
  b3: 'b3',
  b3multi: 'b3multi',
  jaeger: 'uber',
};

function devFormats(config: SetupConfig): PropagationFormat[] {
  return config.propagators.flatMap((n) => (DEV_FORMAT[n] === undefined ? [] : [DEV_FORMAT[n]]));
}

/**
 * The console tree or the JSON-lines file. The tree is written as each trace's root finishes; the file is written
 * in batches, so it gets the same exit and signal flushing as a network exporter (a signal that ends the process
 * skips the exporter's own `exit` flush).
 */
function startDev(config: SetupConfig, problems: string[]): FlushHooks | undefined {
  const dev = require('../dev') as typeof import('../dev');
  const propagation = devFormats(config);
  if (config.mode === 'console') {
    setTracer(dev.createConsoleTracer({ propagation }));
    return undefined;
  }
  try {
    closeSync(openSync(config.file, 'a')); // the exporter opens it lazily: learn now, in one line, that it cannot
  } catch (error) {
    problems.push(`ts-traced: TRACED_FILE=${JSON.stringify(config.file)} cannot be written (${(error as Error).message}); tracing is off.`);
    return undefined;
  }
  const tracer = new dev.DevTracer({ propagation });
  const exporter = new dev.FileExporter(config.file);
  let finished = 0;
  tracer.onFinish(exporter.export);
  tracer.onFinish(() => void finished++);
  setTracer(tracer);
  return installFlushHooks({ finishedCount: () => finished, flush: async () => exporter.flush() });
}

function startOtel(config: SetupConfig, problems: string[]): FlushHooks | undefined {
  const { buildOtelPipeline } = require('./otel-pipeline') as typeof import('./otel-pipeline');
  const { useOpenTelemetry } = require('../otel/use') as typeof import('../otel/use');
  const pipeline = buildOtelPipeline(config, problems);
  if (pipeline.spanProcessors.length === 0) return undefined;
  let finished = 0;
  const counter = {
    onStart() {},
    onEnd() {
      finished++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const bridge = useOpenTelemetry({
    serviceName: config.serviceName,
    spanProcessors: [...pipeline.spanProcessors, counter],
    sampler: pipeline.sampler,
    propagation: config.propagators,
  });
  return installFlushHooks({ finishedCount: () => finished, flush: bridge.forceFlush });
}

/**
 * Configures tracing from `env`; `report` gets each problem line (default: stderr). With mode `none`, or when
 * every exporter failed, no tracer is set and instrumented code costs one check per call.
 */
export function setupFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  report: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): SetupResult {
  const { config, problems: found } = readSetupEnv(env);
  const problems = [...found];
  let hooks: FlushHooks | undefined;
  try {
    if (config.mode === 'console' || config.mode === 'file') hooks = startDev(config, problems);
    else if (config.mode === 'otel') hooks = startOtel(config, problems);
    if (getTracer() !== undefined) installClients(config.clients, problems);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND';
    problems.push(
      missing && config.mode === 'otel'
        ? `ts-traced: exporting needs the OpenTelemetry packages (npm install ${OTEL_PACKAGES}); tracing is off.`
        : `ts-traced: tracing could not start (${(error as Error)?.message ?? error}); tracing is off.`,
    );
  }
  for (const line of problems) {
    try {
      report(line);
    } catch {
      // An unwritable stderr is no reason to stop the app.
    }
  }
  return { config, problems, flush: () => hooks?.flush() ?? Promise.resolve() };
}
