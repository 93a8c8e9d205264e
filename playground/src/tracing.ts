import { getTracer, installAllPatches, setTracer } from 'ts-traced';
import { ConsoleTree, DevTracer, FileExporter } from 'ts-traced/dev';

/**
 * Development tracing for one playground service: a tree per trace on stderr, and every span appended to the
 * shared JSON-lines file that `traced view` turns into a waterfall. Started with `node --import ts-traced/setup`,
 * the tracer set up from the environment (OTLP, Zipkin, ...) is kept instead. Client libraries are wrapped first.
 */
export function startTracing(service: string): void {
  if (getTracer() === undefined) {
    const tracer = new DevTracer();
    tracer.onFinish(new ConsoleTree().add);
    tracer.onFinish(new FileExporter(process.env.TRACED_FILE ?? 'spans.jsonl').export);
    setTracer(tracer);
  }
  const { installed } = installAllPatches();
  console.error(`[${service}] tracing ${installed.join(', ')}`);
}
