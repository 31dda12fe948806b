/**
 * The command line (SPEC §1): argv, `--check`, exit codes, and signals. SIGTERM/SIGINT drain and exit 0
 * (a later one exits at once, a repeat within a quarter of a second is the same one: stop-signals.ts); SIGHUP, and a change of the file with `watch: true`, reload the config,
 * keeping the old one if the new one is invalid (reload.ts).
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { readTlsFiles } from '../config/tls-files.js';
import { ADMIN_TOKEN_ENV } from '../admin/auth.js';
import { createLogger } from '../log.js';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';
import { reportConfigError } from './config-report.js';
import { explainBadArguments, explainStartError } from './explain.js';
import { createReloader } from './reload.js';
import { exitAtOnce, exitWhenClosed, onStopSignals } from './stop-signals.js';

const USAGE = `Usage: hoptrace [--config routes.json] [--check] [--workers N]

A tracing reverse proxy for services that have no tracing of their own: put it in front of one, and every
request that crosses it is traced (W3C traceparent continued or started, a span per hop) and its spans
exported to Zipkin, an OTLP backend, or the built-in viewer. The service does not change.

Options:
  -c, --config <file>  the routes file (default: ./routes.json)
      --check          validate the config and exit: 0 if valid, 1 with the errors on stderr
      --workers <N>    proxy processes sharing the listener (default: one per CPU core; 1: a single process)
  -v, --version        print the version
  -h, --help           print this help

Examples:
  hoptrace --check --config routes.json          validate a config before using it
  hoptrace --config /etc/hoptrace/routes.json    run with that config

Once started it prints "listening proxy=<addr> admin=<addr>": send requests to the proxy address, and open
the admin address in a browser to see the traces. SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the config.

Environment: OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_PROPAGATORS,
OTEL_EXPORTER_ZIPKIN_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and
OTEL_EXPORTER_OTLP_HEADERS override the file. HOPTRACE_ADMIN_TOKEN is the token the admin port requires
when it binds anything but loopback. HOPTRACE_LOG_LEVEL sets the log level (default info); logs are JSON
lines on stderr.
Docs: README.md (a walk-through, and every config field), routes.schema.json (for editors).`;

export async function main(argv: readonly string[]): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c', default: 'routes.json' },
        check: { type: 'boolean', default: false },
        version: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        workers: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    printLines(explainBadArguments(error as Error, argv));
    process.exitCode = 1;
    return;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (args.version) {
    process.stdout.write(`${version()}\n`);
    return;
  }

  const workers = args.workers === undefined ? availableParallelism() : Number(args.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    process.stderr.write(`hoptrace: --workers must be a whole number of at least 1, got "${args.workers}"\n`);
    process.exitCode = 1;
    return;
  }

  const path = args.config;
  let config;
  try {
    config = await loadConfig(path);
    if (args.check) readTlsFiles(config); // the certificate, key and CA files must be usable too
  } catch (error) {
    reportConfigError(path, error);
    process.exitCode = 1;
    return;
  }
  if (args.check) {
    process.stdout.write(`${path}: valid, ${config.routes.length} route(s)\n`);
    return;
  }

  const logger = createLogger();
  const adminToken = process.env[ADMIN_TOKEN_ENV];
  if (cluster.isWorker) {
    // Every worker has the primary's --workers (cluster.fork runs it with the same arguments), and takes its
    // share of the new-trace cap.
    const rateShare = 1 / workers;
    await runWorker({ path, config, logger, createApp: (from, storeExporter) => createApp(from, { logger, adminToken, storeExporter, serveAdmin: false, rateShare }) });
    return;
  }
  if (workers > 1) {
    await runPrimary({ path, config, workers, logger, createApp: (from, peerMetrics) => createApp(from, { logger, adminToken, peerMetrics, serveProxy: false }) });
    return;
  }
  let app;
  try {
    // The admin token comes from the environment only, never the file (SPEC §2).
    app = createApp(config, { logger, adminToken: process.env[ADMIN_TOKEN_ENV] });
  } catch (error) {
    process.stderr.write(`hoptrace: cannot start: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  let addresses;
  try {
    addresses = await app.start();
  } catch (error) {
    printLines(explainStartError(error, config));
    await app.close();
    process.exitCode = 1;
    return;
  }
  const reloader = createReloader(path, config, app, logger);

  let stopping = false;
  onStopSignals({
    drain: (signal) => {
      stopping = true;
      reloader.close();
      logger.info({ signal }, 'draining');
      exitWhenClosed(logger, app.close());
    },
    exitNow: (signal) => exitAtOnce(logger, signal),
  });
  process.on('SIGHUP', () => {
    if (!stopping) void reloader.reload('SIGHUP');
  });
  // Ready only once the signals are ours: a supervisor that reloads as soon as it reads this line must not
  // meet SIGHUP's default action, which ends the process.
  process.stdout.write(`listening proxy=${addresses.proxy} admin=${addresses.admin}\n`);
}

function printLines(lines: readonly string[]): void {
  process.stderr.write(`${lines.join('\n')}\n`);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
