/**
 * SIGTERM and SIGINT (SPEC §1): the first starts the drain; a later one exits at once, for an operator who
 * will not wait.
 *
 * A repeat within STOP_REPEAT_MS of the first is the same request delivered twice, not a second one:
 * coreutils' `timeout` sends its SIGTERM to the process and then to the process group it runs in, and a
 * process whose first delivery was already taken sees both. Taken as a second request, that made
 * `timeout 60 hoptrace …` exit 1 without draining, in about a third of the runs on a loaded machine.
 */
import type { Logger } from '../log.js';

export const STOP_REPEAT_MS = 250;

export interface StopHandlers {
  /** The first signal: drain and exit. */
  readonly drain: (signal: NodeJS.Signals) => void;
  /** A signal STOP_REPEAT_MS or more after the first: exit now. */
  readonly exitNow: (signal: NodeJS.Signals) => void;
}

/** Installs the handlers; returns what removes them. */
export function onStopSignals(handlers: StopHandlers, now: () => number = () => performance.now()): () => void {
  let firstAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const at = now();
    if (firstAt === undefined) {
      firstAt = at;
      handlers.drain(signal);
    } else if (at - firstAt >= STOP_REPEAT_MS) {
      handlers.exitNow(signal);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

/** The end of a drain: exits 0 once `closing` resolves, 1 if it rejects, each after its last log line is written. */
export function exitWhenClosed(logger: Logger, closing: Promise<unknown>): void {
  closing.then(
    () => {
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    },
    (error: unknown) => {
      logger.error({ err: error }, 'error while stopping');
      logger.flush(() => process.exit(1));
    },
  );
}

/** A later stop signal: exits 1 now, without waiting for the drain. */
export function exitAtOnce(logger: Logger, signal: NodeJS.Signals): never {
  logger.warn({ signal }, 'second signal: exiting at once');
  logger.flush();
  process.exit(1);
}
