/**
 * `ts-traced/dev`: the embedded development tracer and the ways to look at its spans. A subpath of its own, so
 * `import { ... } from 'ts-traced'` never loads it: production apps use their own tracer and pay nothing here.
 *
 * ```ts
 * setTracer(createConsoleTracer());                        // a tree per trace on stderr
 * const tracer = new DevTracer();                          // or pick the outputs:
 * tracer.onFinish(new FileExporter('spans.jsonl').export); //   JSON lines for `traced view spans.jsonl`
 * ```
 */
export { DevTracer, type DevTracerOptions, type FinishListener } from './dev-tracer';
export { DevSpan, DevSpanContext, type DevLog, type Baggage } from './span';
export { ConsoleTree, createConsoleTracer, type ConsoleTreeOptions, type ConsoleTracerOptions } from './console-tree';
export { FileExporter, type FileExporterOptions } from './file-exporter';
export { toSpanRecord, type SpanRecord, type RecordValue } from './span-record';
export { renderWaterfall, type WaterfallOptions } from './waterfall';
