/**
 * The process log: JSON lines on stderr through pino, written asynchronously so logging never blocks the
 * event loop. stdout is kept for the `listening …` line and the console exporter.
 *
 * What a destination still holds at exit, pino writes with sonic-boom's flushSync; package.json overrides
 * pino's sonic-boom 4 with 5, whose flushSync gives up on a write that fails with EPIPE instead of retrying it
 * forever (a process whose output went to a pipe that had been closed could hang at exit). README "Versions".
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string = process.env.HOPTRACE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { name: 'hoptrace' } }, pino.destination({ dest: 2, sync: false, minLength: 0 }));
}

/** For embedding and tests: a logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
