/**
 * Finished spans must not be lost when the process ends, and ending must stay the app's decision.
 *
 * - `beforeExit` (the event loop ran dry): flush when spans ended since the last flush. The export keeps the loop
 *   alive; when it is done `beforeExit` comes again, finds nothing new, and the process exits as it would have.
 * - SIGTERM / SIGINT: if the app listens for that signal itself, it decides when and how to exit, and the
 *   `beforeExit` and `exit` hooks cover both ways out; a flush started here would hand the spans to a request that
 *   `process.exit()` in the app's handler cuts off. If not, flush (bounded by `timeoutMs`), then raise the signal
 *   again, so the process ends the way it would have without us (killed by the signal: exit status 128 + its number).
 * - `exit` (after `process.exit()`): only synchronous work can run there. The file exporter writes its batch
 *   itself, and OTLP over HTTP sends what is still queued through exit-export.ts; gRPC and Zipkin cannot.
 */

export interface FlushTarget {
  /** Spans finished so far (a counter that only grows). */
  finishedCount(): number;
  flush(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export interface FlushHooks {
  /** Flushes now (bounded by the timeout); concurrent calls share one flush. */
  flush(): Promise<void>;
  /** Removes the listeners. */
  remove(): void;
}

export function installFlushHooks(target: FlushTarget, timeoutMs = 5000): FlushHooks {
  let flushedUpTo = 0;
  let running: Promise<void> | undefined;

  const flush = (): Promise<void> => {
    if (running !== undefined) return running;
    const upTo = target.finishedCount();
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    running = Promise.race([target.flush().catch(() => undefined), bounded]).finally(() => {
      clearTimeout(timer);
      flushedUpTo = upTo;
      running = undefined;
    });
    return running;
  };

  const onBeforeExit = (): void => {
    if (running === undefined && target.finishedCount() > flushedUpTo) void flush();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (process.listenerCount(signal) > 1) return; // the app handles it
    void flush().then(() => {
      remove();
      process.kill(process.pid, signal);
    });
  };
  const remove = (): void => {
    process.off('beforeExit', onBeforeExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };

  process.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return { flush, remove };
}
