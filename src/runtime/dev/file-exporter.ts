/**
 * Writes finished spans to a file as JSON lines (see `span-record.ts`), for `traced view`.
 *
 * Lines are buffered and appended in batches with synchronous writes: a local append of up to 64 KiB takes
 * microseconds, and being synchronous means a batch is never half-written, never reordered, and the last one
 * can be written from the process's 'exit' event, where asynchronous I/O no longer runs. A batch is written
 * when it reaches 64 KiB, a second after its first line (on an unref'd timer, so the exporter never keeps the
 * process alive), on `flush()`, on `close()` and on exit. Nothing here throws into the app: an unwritable file
 * is reported once (a process warning) and its spans are dropped.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { reportFault } from '../safe';
import type { DevSpan } from './span';
import { toSpanRecord } from './span-record';

export interface FileExporterOptions {
  /** Add to an existing file (default), so several processes or runs can share one; `false` empties it first. */
  readonly append?: boolean;
  /** Write a batch once it holds about this many bytes. Default 65 536. */
  readonly batchBytes?: number;
  /** Write a batch at most this long after its first line, in milliseconds. Default 1000. */
  readonly flushIntervalMs?: number;
}

export class FileExporter {
  readonly path: string;
  private readonly append: boolean;
  private readonly batchBytes: number;
  private readonly flushIntervalMs: number;
  private fd: number | undefined;
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Bound once: the same function is added to and removed from the 'exit' event. */
  private readonly onExit = (): void => this.flush();
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  constructor(path: string, options: FileExporterOptions = {}) {
    this.path = path;
    this.append = options.append ?? true;
    this.batchBytes = Math.max(1, options.batchBytes ?? 65_536);
    this.flushIntervalMs = Math.max(1, options.flushIntervalMs ?? 1000);
    this.open();
    process.on('exit', this.onExit);
  }

  /** The tracer listener, bound: `tracer.onFinish(exporter.export)`. Queues one finished span. */
  readonly export = (span: DevSpan): void => {
    if (this.closed) return;
    let line: string;
    try {
      line = JSON.stringify(toSpanRecord(span)) + '\n';
    } catch (error) {
      reportFault('fileExporter.serialize', error);
      return;
    }
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= this.batchBytes) this.flush();
    else if (this.timer === undefined) this.timer = setTimeout(this.onTimer, this.flushIntervalMs).unref();
  };

  /** Writes every queued line now. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    const fd = this.open();
    if (fd === undefined) return;
    try {
      const data = Buffer.from(text);
      for (let written = 0; written < data.length; ) written += writeSync(fd, data, written);
    } catch (error) {
      reportFault('fileExporter.write', error);
    }
  }

  /** Writes what is queued, closes the file and stops exporting. Later spans are ignored. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    process.removeListener('exit', this.onExit);
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch (error) {
      reportFault('fileExporter.close', error);
    }
    this.fd = undefined;
  }

  /**
   * Opened (or emptied) at construction, so an empty file means "no spans yet"; when that failed (a missing
   * folder), each batch tries again.
   */
  private open(): number | undefined {
    if (this.fd !== undefined) return this.fd;
    try {
      this.fd = openSync(this.path, this.append ? 'a' : 'w');
    } catch (error) {
      reportFault('fileExporter.open', error);
    }
    return this.fd;
  }
}
