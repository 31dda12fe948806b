/**
 * `--workers N` (N > 1): one proxy per host uses the whole host. The primary process serves the admin port
 * and owns the built-in span store; N workers (node:cluster) share the proxy listener, record and export
 * spans themselves, and send the store's share to the primary over IPC (cluster/span-relay.ts).
 *
 * - The `listening proxy=… admin=…` line is printed once, by the primary, when every worker listens.
 * - Workers' stdout and stderr are pipes to the primary, which writes them on as whole lines
 *   (cluster/output-relay.ts).
 * - /metrics sums the primary's metrics and every worker's (prom-client's AggregatorRegistry rules).
 * - SIGTERM/SIGINT: each worker drains and flushes its spans, then the primary closes and exits 0; a
 *   later signal exits at once (stop-signals.ts). SIGHUP: the primary checks the file, then each worker reloads it.
 * - A worker that dies is replaced; one that cannot start makes the whole start fail (exit 1).
 */
import cluster, { type Worker } from 'node:cluster';
import type { App } from '../app.js';
import type { HopConfig } from '../config/index.js';
import type { MetricsJson } from '../metrics/registry.js';
import { isHoptraceMessage, type PrimaryMessage, type WorkerMessage } from '../cluster/messages.js';
import { createOutputRelay } from '../cluster/output-relay.js';
import type { Logger } from '../log.js';
import { explainStartError } from './explain.js';
import { createReloader } from './reload.js';
import { exitAtOnce, exitWhenClosed, onStopSignals } from './stop-signals.js';

/** A worker that does not answer a metrics request within this is left out of that scrape. */
const METRICS_TIMEOUT_MS = 2_000;
/** Restarts closer together than this are spaced out, so a crash loop does not spin the CPU. */
const RESTART_BACKOFF_MS = 1_000;

export interface PrimaryOptions {
  readonly path: string;
  readonly config: HopConfig;
  readonly workers: number;
  readonly logger: Logger;
  /** Builds the primary's app: admin port and store only, and /metrics summing `peerMetrics`. */
  readonly createApp: (config: HopConfig, peerMetrics: () => Promise<MetricsJson[]>) => App;
}

export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { path, logger, workers: count } = options;
  // Workers' stdout and stderr come through the primary, whole lines at a time (cluster/output-relay.ts).
  cluster.setupPrimary({ serialization: 'advanced', stdio: ['inherit', 'pipe', 'pipe', 'ipc'] });
  const stdout = createOutputRelay(1);
  const stderr = createOutputRelay(2);
  /** Every worker's output streams, ended or not: the primary exits only after they have all ended. */
  const outputs: Promise<void>[] = [];
  const pendingMetrics = new Map<number, (metrics: MetricsJson) => void>();
  let nextMetricsId = 0;
  let stopping = false;
  let lastRestart = 0;
  /** Workers that said they listen; the others may not have their message handler yet. */
  const listening = new WeakSet<Worker>();

  const peerMetrics = (): Promise<MetricsJson[]> =>
    Promise.all(
      live().map(
        (worker) =>
          new Promise<MetricsJson>((resolve) => {
            const id = ++nextMetricsId;
            const timer = setTimeout(() => {
              pendingMetrics.delete(id);
              resolve([]);
            }, METRICS_TIMEOUT_MS);
            pendingMetrics.set(id, (metrics) => {
              clearTimeout(timer);
              pendingMetrics.delete(id);
              resolve(metrics);
            });
            send(worker, { type: 'hoptrace:metrics', id });
          }),
      ),
    );

  let app: App;
  try {
    app = options.createApp(options.config, peerMetrics);
  } catch (error) {
    process.stderr.write(`hoptrace: cannot start: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }

  cluster.on('message', (_worker, message: unknown) => {
    if (!isHoptraceMessage<WorkerMessage>(message)) return;
    if (message.type === 'hoptrace:spans') app.store.addEncoded(message.spans);
    else if (message.type === 'hoptrace:metrics') pendingMetrics.get(message.id)?.(message.metrics);
  });

  let admin: string;
  let proxy: string;
  try {
    admin = (await app.start()).admin;
  } catch (error) {
    process.stderr.write(`${explainStartError(error, options.config).join('\n')}\n`);
    await app.close();
    process.exitCode = 1;
    return;
  }
  try {
    // One worker first: a listener that cannot bind is then explained once, by that worker, not N times.
    proxy = await startWorker();
    await Promise.all(Array.from({ length: count - 1 }, () => startWorker()));
  } catch {
    stopping = true;
    for (const worker of live()) worker.process.kill('SIGKILL');
    await app.close();
    process.exitCode = 1;
    return;
  }
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.warn({ worker: worker.id, code, signal }, 'worker exited; starting another');
    const wait = Math.max(0, lastRestart + RESTART_BACKOFF_MS - Date.now());
    lastRestart = Date.now() + wait;
    setTimeout(() => {
      if (!stopping) startWorker().catch((error: Error) => logger.error({ err: error.message }, 'worker did not start'));
    }, wait).unref();
  });

  onStopSignals({
    drain: (signal) => {
      stopping = true;
      reloader.close();
      app.markDraining();
      logger.info({ signal, workers: live().length }, 'draining');
      const exits = live().map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      for (const worker of live()) {
        // One still starting has nothing to drain, and may not listen for messages yet.
        if (listening.has(worker)) send(worker, { type: 'hoptrace:stop' });
        else worker.process.kill('SIGTERM');
      }
      // Workers flush their spans to the store before they exit, so the store closes last; their output is
      // written before the primary's last line.
      const closing = Promise.all(exits)
        .then(() => Promise.all([app.close(), ...outputs]))
        .then(() => Promise.all([stdout.flush(), stderr.flush()]));
      exitWhenClosed(logger, closing);
    },
    exitNow: (signal) => {
      for (const worker of live()) worker.process.kill('SIGKILL');
      exitAtOnce(logger, signal);
    },
  });
  // The primary reloads first (the file, the certificates, the access log) through the same reloader as a
  // single process, SIGHUP and `watch: true` alike: what it rejects, every worker would, so it is reported
  // once and the workers keep running the old config without being asked.
  const reloader = createReloader(path, options.config, app, logger, () => {
    for (const worker of live()) send(worker, { type: 'hoptrace:reload' });
  });
  process.on('SIGHUP', () => {
    if (!stopping) void reloader.reload('SIGHUP');
  });
  // Ready only once the signals are ours (see main.ts).
  process.stdout.write(`listening proxy=${proxy} admin=${admin}\n`);

  /** Forks a worker; resolves with its proxy address once it listens, rejects if it exits first. */
  function startWorker(): Promise<string> {
    const worker = cluster.fork();
    outputs.push(stdout.relay(worker.process.stdout!), stderr.relay(worker.process.stderr!));
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown): void => {
        if (!isHoptraceMessage<WorkerMessage>(message) || message.type !== 'hoptrace:listening') return;
        worker.off('exit', onExit);
        worker.off('message', onMessage);
        listening.add(worker);
        resolve(message.proxy);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        worker.off('message', onMessage);
        reject(new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}) before listening`));
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  }
}

function live(): Worker[] {
  return Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
}

function send(worker: Worker, message: PrimaryMessage): void {
  if (worker.isConnected()) worker.send(message, undefined, () => {});
}
