/**
 * The proxy under soak: what the CLI does (load the config, createApp, start, drain on SIGTERM), plus an IPC
 * channel through which scripts/soak.mjs asks for the figures the CLI has no way to print yet: memory after a
 * garbage collection, export counts per exporter, open sockets. Run with --expose-gc by soak.mjs.
 */
import { createApp } from '../dist/app.js';
import { loadConfig } from '../dist/config/index.js';
import { createLogger } from '../dist/log.js';

const path = process.argv[2];
const config = await loadConfig(path);
const app = createApp(config, { logger: createLogger(process.env.HOPTRACE_LOG_LEVEL ?? 'error') });
const addresses = await app.start();

function figures() {
  globalThis.gc?.();
  const memory = process.memoryUsage();
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    exportStats: app.exportStats(),
    storeStats: app.store.stats(),
    openSockets: app.openSockets(),
    upstreamSockets: app.upstreamSockets(),
  };
}

process.on('message', (message) => {
  if (message === 'figures') process.send({ type: 'figures', figures: figures() });
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) process.exit(1);
  stopping = true;
  // Counted after close(): every queued span has been flushed (or dropped) by then.
  app.close().then(
    () => process.send({ type: 'closed', figures: figures() }, () => process.exit(0)),
    () => process.exit(1),
  );
});

process.send({ type: 'listening', addresses });
