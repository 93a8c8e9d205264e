/** Tag keys the runtime writes, in one place. OpenTracing's standard keys come from `opentracing.Tags`. */
export const TAG = {
  codeFunction: 'code.function',
  codeNamespace: 'code.namespace',
  codeFilepath: 'code.filepath',
  codeLineno: 'code.lineno',
  /** Prefix of the tags `args` records: `arg.orderId`. */
  argPrefix: 'arg.',
  /** Set to `not-followed` when a sync function returns a promise-like value: the span ended at return. */
  promise: 'traced.promise',
} as const;
