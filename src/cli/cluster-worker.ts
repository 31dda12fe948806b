/**
 * A cluster worker (see cluster-primary.ts): the proxy listener, shared with the other workers through
 * node:cluster, its own exporters, and the built-in store's spans relayed to the primary. The primary tells
 * it when to stop and reload; a SIGINT from the terminal reaches every process of the group, so the worker
 * leaves that one to the primary, and a worker whose primary is gone drains and exits on its own.
 */
import cluster from 'node:cluster';
import type { App } from '../app.js';
import { loadConfig, type HopConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { createSpanRelay } from '../cluster/span-relay.js';
import { isHoptraceMessage, type PrimaryMessage, type WorkerMessage } from '../cluster/messages.js';
import type { StoreExporter } from '../export/span-store.js';
import { explainStartError } from './explain.js';
import type { Logger } from '../log.js';

export interface WorkerOptions {
  readonly path: string;
  readonly config: HopConfig;
  readonly logger: Logger;
  /** Builds the worker's app: proxy listener only, store spans sent to `storeExporter`. */
  readonly createApp: (config: HopConfig, storeExporter: StoreExporter) => App;
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const { path, logger } = options;
  const send = (message: WorkerMessage, done: (error: Error | null) => void = () => {}): boolean =>
    process.connected ? process.send!(message, undefined, {}, done) : (done(new Error('the primary is gone')), false);

  let app: App | undefined;
  let started = false;
  let stopping = false;
  // Handlers go in first: the primary may ask a worker that is still starting to stop (a fast SIGTERM).
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (!started) return; // start() ends and sees `stopping`
    app!.close().then(
      () => logger.flush(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        logger.flush(() => process.exit(1));
      },
    );
  };
  const reload = (): void => {
    if (!started) return;
    loadConfig(path).then(
      (next) =>
        app!.reload(next).catch((error: unknown) => {
          const issues = error instanceof ConfigError ? error.issues : [(error as Error).message];
          logger.error({ issues }, 'config reload rejected; keeping the running config');
        }),
      () => app!.reloadRejected(), // the primary has reported why
    );
  };

  process.on('message', (message: unknown) => {
    if (!isHoptraceMessage<PrimaryMessage>(message)) return;
    if (message.type === 'hoptrace:stop') stop();
    else if (message.type === 'hoptrace:reload') reload();
    else if (message.type === 'hoptrace:metrics' && started) {
      void app!.metricsJson().then((metrics) => send({ type: 'hoptrace:metrics', id: message.id, metrics }));
    }
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('disconnect', stop);

  try {
    app = options.createApp(options.config, createSpanRelay(String(cluster.worker?.id ?? process.pid), send));
    const { proxy } = await app.start();
    started = true;
    send({ type: 'hoptrace:listening', proxy });
  } catch (error) {
    // The worker explains its own failure; the primary adds nothing (see cluster-primary.ts).
    process.stderr.write(`${explainStartError(error, options.config).join('\n')}\n`);
    process.exit(1);
  }
  if (stopping) {
    stopping = false;
    stop();
  }
}
