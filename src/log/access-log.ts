/**
 * The access log: one JSON line per request, written with pino, carrying the request's `trace_id` and
 * `span_id` (those of its SERVER span) so a log line leads to its trace and back:
 *
 *   {"level":"info","time":1795323654245,"trace_id":"…","span_id":"…","sampled":true,"route":"orders",
 *    "service":"orders","method":"GET","path":"/api/orders/7","status":200,"duration_ms":3.512,
 *    "upstream_duration_ms":3.101,"bytes_in":0,"bytes_out":245,"upstream":"http://127.0.0.1:3001","error":null}
 *
 * The path never has its query (it may carry secrets). Lines go to stdout, stderr or a file through an
 * asynchronous sonic-boom destination, so a slow disk or a full pipe never blocks the event loop; what it
 * cannot take is held up to a cap and then dropped and counted, never buffered without bound (SPEC §5).
 *
 * Lines are written in batches, as nginx's `access_log … buffer= flush=` does: once 3 KiB have gathered,
 * and otherwise every 100 ms, so a line reaches its destination at most a tenth of a second after its
 * request ends. Written as they came (sonic-boom's default), lines gather only while a write is in flight:
 * at full load that made a write per ~12 lines already, but at half of it (4,500 requests/s, 100% sampling
 * with Zipkin export) the log cost 0.71 write system calls per request, each a round trip through libuv's
 * thread pool; in batches, 0.20 (/proc/<pid>/io, the proxy's own socket writes, 2.01 per request, taken off).
 *
 * A write takes up to 64 KiB. One write is in flight at a time, and under full load its completion waits
 * for the event loop's next turn, a few milliseconds with 64 connections busy: a write size of 4 KiB
 * capped the log at ~1.3 MB/s here, below the ~2.5 MB/s of lines at 8,000 requests/s, so the buffer
 * filled to its cap and lines were dropped. A write that large to a pipe can be split when the pipe is
 * full; with `--workers N` no two processes share a pipe, as each worker's stdout and stderr go through
 * the primary (cluster/output-relay.ts).
 *
 * One log belongs to one config. `open()` does the I/O (a reload opens the next log before it swaps, so a
 * path that cannot be opened rejects the reload); `close()` waits for the requests that started under
 * this log to be written, then flushes and releases the destination.
 */
import { openSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import type { AccessLogConfig } from '../config/types.js';
import { AccessLogOpenError } from '../errors.js';
import type { HopListener, HopRecord } from '../proxy/hop-record.js';

export interface AccessLog extends HopListener {
  /** False when the config turns the log off: then it need not be called at all. */
  readonly enabled: boolean;
  /** Opens the destination. Throws an AccessLogOpenError when a file cannot be opened for appending. */
  open(): void;
  /** After the requests in flight under this log are written: flushes and releases the destination. */
  close(): Promise<void>;
}

export interface AccessLogOptions {
  /** Told of write errors (disk full, …); they never reach the request path. */
  readonly onError?: (error: Error) => void;
  /** Told of each line dropped because the destination was not keeping up. */
  readonly onDrop?: () => void;
}

/** What the destination may hold while the disk or pipe is slow: at ~300 bytes a line, ~28 000 lines. */
export const ACCESS_LOG_BUFFER_BYTES = 8 * 1024 * 1024;
/** The most one write takes (see above). */
export const ACCESS_LOG_WRITE_BYTES = 64 * 1024;
/** Lines gathered before a write (sonic-boom wants it below the write size). */
export const ACCESS_LOG_BATCH_BYTES = 3 * 1024;
/** The longest a line waits for its batch. */
export const ACCESS_LOG_FLUSH_MS = 100;

const STANDARD_STREAMS: Readonly<Record<string, number>> = { stdout: 1, stderr: 2 };

type Destination = ReturnType<typeof pino.destination>;

export function createAccessLog(config: AccessLogConfig, options: AccessLogOptions = {}): AccessLog {
  let logger: Logger | undefined;
  let destination: Destination | undefined;
  let pending = 0;
  let closed = false;
  let broken = false;
  let onIdle: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  return {
    enabled: config.enabled,
    open() {
      if (!config.enabled || logger !== undefined) return;
      destination = openDestination(config.destination);
      if (options.onDrop !== undefined) destination.on('drop', options.onDrop);
      destination.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') {
          if (broken) return; // the periodic flush meets the closed pipe again; it was told once
          broken = true; // pino stops writing to a closed pipe; so do we
        }
        options.onError?.(error);
      });
      logger = pino(
        {
          base: null,
          // `time` stays pino's epoch milliseconds, as in the process log: an ISO string costs ~0.8 µs a line.
          // "level":"info" rather than pino's 30: log shippers read the name.
          formatters: { level: (label) => ({ level: label }) },
        },
        destination,
      );
    },
    onHopStart() {
      pending += 1;
    },
    onHopEnd(record) {
      pending -= 1;
      if (logger !== undefined && !closed && !broken) logger.info(accessLine(record));
      if (pending === 0) onIdle?.();
    },
    close() {
      closing ??= (async () => {
        if (pending > 0) await new Promise<void>((resolveIdle) => (onIdle = resolveIdle));
        closed = true;
        if (destination !== undefined && !broken) await endStream(destination);
      })();
      return closing;
    },
  };
}

function accessLine(record: HopRecord): Record<string, unknown> {
  return {
    trace_id: record.traceId,
    span_id: record.spanId,
    sampled: record.sampled,
    route: record.route ?? null,
    service: record.service,
    method: record.method,
    path: record.path,
    status: record.status,
    duration_ms: roundMs(record.durationMs),
    upstream_duration_ms: record.upstreamDurationMs === undefined ? null : roundMs(record.upstreamDurationMs),
    bytes_in: record.bytesIn,
    bytes_out: record.bytesOut,
    upstream: record.upstream ?? null,
    error: record.errorType ?? null,
  };
}

/** Milliseconds to the microsecond. */
function roundMs(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}

function openDestination(where: string): Destination {
  let fd = STANDARD_STREAMS[where];
  if (fd === undefined) {
    const path = resolve(where);
    try {
      // Opened here, synchronously, so a bad path fails start or reload with a clear message instead of
      // surfacing later as an 'error' event.
      fd = openSync(path, 'a');
    } catch (cause) {
      // Node's message ends with ", open '<path>'": the path is already named once.
      const reason = (cause as Error).message.replace(/, open '.*'$/, '');
      throw new AccessLogOpenError(`accessLog.destination: cannot open ${path}: ${reason}`, { cause });
    }
  }
  return pino.destination({
    dest: fd,
    sync: false,
    maxLength: ACCESS_LOG_BUFFER_BYTES,
    minLength: ACCESS_LOG_BATCH_BYTES,
    maxWrite: ACCESS_LOG_WRITE_BYTES,
    periodicFlush: ACCESS_LOG_FLUSH_MS,
  });
}

/** Writes what is buffered and closes the file (stdout and stderr stay open); resolves when done. */
function endStream(destination: Destination): Promise<void> {
  return new Promise((resolveEnd) => {
    destination.once('close', () => resolveEnd());
    destination.once('error', () => resolveEnd());
    destination.end();
  });
}
