/**
 * With `--workers N`, each worker's stdout and stderr are pipes of their own to the primary, which writes
 * what comes through them on to its own stdout and stderr, whole lines at a time.
 *
 * Why: the access log (stdout by default) of a worker at full load writes up to 64 KiB at once (see
 * log/access-log.ts for why it must), and a write to a pipe larger than PIPE_BUF (4 KiB on Linux) can be
 * cut short when the pipe is full and continued after another process's write: workers sharing the
 * caller's pipe would then interleave the halves of their lines. Here each worker is the only writer of
 * its pipe, and the primary, whose event loop is otherwise idle, is the only one of the caller's: it
 * writes whole lines, several to a write while they fit in PIPE_BUF, so a line of up to 4 KiB is never
 * split even next to the primary's own log.
 *
 * The cost is the primary's: with 2 workers at full load (~9,000 requests/s, a line each) it used 1.45–1.5 s
 * of CPU in 8 s against 0.42–0.44 s without the relay, ~14 µs a line, much of it garbage collection of the
 * Buffers read and written; 64 KiB writes on stdout changed it little. The workers' requests/s were the
 * same within the noise.
 *
 * Like the access log, it never blocks and never buffers without bound: while the caller does not read,
 * the relay holds up to RELAY_BUFFER_BYTES and stops reading the workers' pipes (their own logs then
 * hold and drop, and count it); once the caller's end is closed (EPIPE), what comes is read and discarded.
 */
import type { Readable } from 'node:stream';
import { pino } from 'pino';

/** PIPE_BUF on Linux: a write to a pipe up to this size is never split. */
export const RELAY_WRITE_BYTES = 4096;
/** What the relay holds for an output that is not being read before it stops reading the workers. */
export const RELAY_BUFFER_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

export interface OutputRelay {
  /** Writes `stream` (a worker's stdout or stderr) on to the output line by line; resolves when it ends. */
  relay(stream: Readable): Promise<void>;
  /** Resolves when everything relayed so far is written, or cannot be (the output is closed). */
  flush(): Promise<void>;
}

/** A relay onto file descriptor `fd` (1 or 2 for the process's own stdout and stderr). */
export function createOutputRelay(fd: number): OutputRelay {
  const output = pino.destination({
    dest: fd,
    sync: false,
    contentMode: 'buffer',
    maxWrite: RELAY_WRITE_BYTES,
    maxLength: RELAY_BUFFER_BYTES,
  });
  let broken = false;
  const paused = new Set<Readable>();

  output.on('error', () => {
    // EPIPE (nobody reads any more), or the output failed otherwise: the workers' output is discarded
    // from here on, as pino discards the process's own log lines.
    broken = true;
    resumeAll();
  });
  output.on('drain', resumeAll);

  function resumeAll(): void {
    for (const stream of paused) stream.resume();
    paused.clear();
  }

  /** `lines` (ending with a newline) in pieces of whole lines, each at most a write unless one line is longer. */
  function write(stream: Readable, lines: Buffer): void {
    let start = 0;
    while (start < lines.length && !broken) {
      let end = start + RELAY_WRITE_BYTES >= lines.length ? lines.length : lines.lastIndexOf(NEWLINE, start + RELAY_WRITE_BYTES - 1) + 1;
      if (end <= start) end = lines.indexOf(NEWLINE, start) + 1;
      // In buffer mode sonic-boom takes Buffers, and gathers consecutive ones into a write up to maxWrite.
      if (!output.write(lines.subarray(start, end) as unknown as string) && !paused.has(stream)) {
        stream.pause();
        paused.add(stream);
      }
      start = end;
    }
  }

  return {
    relay(stream) {
      return new Promise((resolve) => {
        let partial: Buffer | undefined;
        stream.on('data', (chunk: Buffer) => {
          const last = chunk.lastIndexOf(NEWLINE);
          if (last === -1) {
            partial = partial === undefined ? chunk : Buffer.concat([partial, chunk]);
            return;
          }
          const complete = chunk.subarray(0, last + 1);
          write(stream, partial === undefined ? complete : Buffer.concat([partial, complete]));
          partial = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : undefined;
        });
        const end = (): void => {
          paused.delete(stream);
          // A worker that died mid-line: its last words still get a line of their own.
          if (partial !== undefined) write(stream, Buffer.concat([partial, Buffer.from('\n')]));
          partial = undefined;
          resolve();
        };
        stream.once('end', end);
        stream.once('error', end);
      });
    },
    flush() {
      if (broken) return Promise.resolve();
      // Called back once written, or with the error that ends the output.
      return new Promise((resolve) => output.flush(() => resolve()));
    },
  };
}
