/**
 * The command line (SPEC §1): argv, `--check`, exit codes, and signals. SIGTERM/SIGINT drain and exit 0
 * (a second one exits at once); SIGHUP reloads the config, keeping the old one if the new one is invalid.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { loadConfig } from '../config/index.js';
import { readTlsFiles } from '../config/tls-files.js';
import { ADMIN_TOKEN_ENV } from '../admin/auth.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';

const USAGE = `Usage: hoptrace [--config routes.json] [--check] [--workers N]

A tracing reverse proxy: every request that crosses it is traced (W3C traceparent continued or started,
a span per hop) and its spans exported to Zipkin, an OTLP backend, or the built-in viewer.

Options:
  -c, --config <file>  the routes file (default: ./routes.json)
      --check          validate the config and exit: 0 if valid, 1 with the errors on stderr
      --workers <N>    proxy processes sharing the listener (default: one per CPU core; 1: a single process)
  -v, --version        print the version
  -h, --help           print this help

Once started it prints "listening proxy=<addr> admin=<addr>"; open the admin address in a browser to see
traces. SIGTERM/SIGINT drain and exit, SIGHUP reloads the config.
Docs: README.md, and routes.schema.json for every config field.`;

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
    process.stderr.write(`hoptrace: ${(error as Error).message}\nRun "hoptrace --help" for the options.\n`);
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
    await runWorker({ path, config, logger, createApp: (from, storeExporter) => createApp(from, { logger, adminToken, storeExporter, serveAdmin: false }) });
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
    process.stderr.write(`hoptrace: cannot start: ${(error as Error).message}\n`);
    await app.close();
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`listening proxy=${addresses.proxy} admin=${addresses.admin}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'draining');
    app.close().then(
      () => {
        logger.info('stopped');
        logger.flush(() => process.exit(0));
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        logger.flush(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    const rejected = (error: unknown): void => {
      const issues = error instanceof ConfigError ? error.issues : [(error as Error).message];
      logger.error({ issues }, 'config reload rejected; keeping the running config');
      for (const issue of issues) process.stderr.write(`${issue}\n`);
    };
    loadConfig(path).then(
      // A reload can also fail after loading (an unreadable certificate, an access log file it cannot
      // open): both keep the running config, and reload() counts that failure itself.
      (next) => app.reload(next).catch(rejected),
      (error: unknown) => {
        app.reloadRejected();
        rejected(error);
      },
    );
  });
}

function reportConfigError(path: string, error: unknown): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`hoptrace: ${path} is not a valid config:\n`);
    for (const issue of error.issues) process.stderr.write(`${issue}\n`);
    process.stderr.write(`Fix the fields above (routes.schema.json describes each) and check again with: hoptrace --check --config ${path}\n`);
    return;
  }
  process.stderr.write(`hoptrace: ${(error as Error).message}\n`);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
