/**
 * Config reloads for the running CLI (SPEC §1): on SIGHUP, and on changes of the file while the config says
 * `watch: true`. Reloads run one at a time, in order. A valid file is handed to app.reload (new requests use
 * it, in-flight ones finish on the old one); an invalid one, or one the app refuses (a field that takes a
 * restart, an unreadable certificate), is reported with the same lines as at start, then one saying the
 * running config stays. apply() catches every error, so the queue never rejects.
 */
import type { App } from '../app.js';
import { loadConfig, type HopConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { reportConfigError } from './config-report.js';
import { watchConfigFile, type ConfigWatcher } from './watch.js';

export interface Reloader {
  /** Reads the file again and applies it; resolves once this reload (and any before it) is done. */
  reload(reason: string): Promise<void>;
  close(): void;
}

/** `onApplied` runs after each reload the app took (the cluster primary then tells its workers). */
export function createReloader(path: string, initial: HopConfig, app: App, logger: Logger, onApplied?: () => void): Reloader {
  let queue: Promise<void> = Promise.resolve();
  let watcher: ConfigWatcher | undefined;
  let closed = false;

  function applyWatch(config: HopConfig): void {
    if (config.watch && watcher === undefined && !closed) {
      watcher = watchConfigFile(
        path,
        () => void reload('file changed'),
        (error) => {
          watcher = undefined;
          logger.error({ err: error.message }, 'cannot watch the config file any more; SIGHUP still reloads');
        },
      );
    } else if (!config.watch && watcher !== undefined) {
      watcher.close();
      watcher = undefined;
    }
  }

  function rejected(reason: string, error: unknown): void {
    const issues = error instanceof ConfigError ? error.issues : [(error as Error).message];
    logger.error({ reason, issues }, 'config reload rejected; keeping the running config');
    reportConfigError(path, error);
    process.stderr.write('hoptrace: reload rejected; the running config stays in effect\n');
  }

  async function apply(reason: string): Promise<void> {
    let next: HopConfig;
    try {
      next = await loadConfig(path);
    } catch (error) {
      app.reloadRejected(); // counted in /metrics; a refusal by reload() below counts itself
      rejected(reason, error);
      return;
    }
    if (closed) return;
    try {
      // The app can refuse too: a field that takes a restart, a certificate or log file that cannot be opened.
      await app.reload(next);
    } catch (error) {
      rejected(reason, error);
      return;
    }
    logger.info({ reason }, 'config reload applied');
    applyWatch(next);
    onApplied?.();
  }

  function reload(reason: string): Promise<void> {
    queue = queue.then(() => apply(reason));
    return queue;
  }

  applyWatch(initial);
  return {
    reload,
    close() {
      closed = true;
      watcher?.close();
      watcher = undefined;
    },
  };
}
