/**
 * createApp(config) → { start(), reload(config), close() }: the one place the modules are wired.
 *
 * The app owns what outlives a config (the listening sockets, the upstream agents, the span store) and
 * builds what a config decides (route table, tracers, exporters) as one HopRuntime that a reload replaces
 * with a single reference swap.
 */
import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { HopConfig, HostPort } from './config/types.js';
import { createExportPipeline, type ExportPipeline } from './export/pipeline.js';
import { createSpanStore, type SpanStore, type SpanStoreOptions } from './export/span-store.js';
import type { BoundedProcessorOptions, ExportStats } from './export/bounded-processor.js';
import { createRouteTable } from './routing/route-table.js';
import { createTracing } from './tracing/tracing.js';
import { createForwarder } from './proxy/forward.js';
import { createProxyServer } from './proxy/server.js';
import type { HopRuntime } from './proxy/http-hop.js';
import { NO_LISTENER, type HopListener } from './proxy/hop-record.js';
import { createAdminServer } from './admin/server.js';
import { healthRoutes } from './admin/health.js';
import { zipkinApiRoutes } from './admin/zipkin-api.js';
import { viewerApiRoutes } from './admin/viewer-api.js';
import { viewerRoutes } from './admin/viewer-assets.js';
import { adminGuardFor } from './admin/auth.js';
import { readTlsFiles, type TlsFiles } from './config/tls-files.js';
import { assertReloadable } from './config/restart-fields.js';
import { silentLogger, type Logger } from './log.js';

export interface AppOptions {
  readonly logger?: Logger;
  /** Extra exporters beside the configured ones (tests use an InMemorySpanExporter). */
  readonly extraExporters?: readonly SpanExporter[];
  readonly processor?: Partial<Omit<BoundedProcessorOptions, 'name'>>;
  readonly store?: SpanStoreOptions;
  readonly listener?: HopListener;
  /** HOPTRACE_ADMIN_TOKEN: required when `admin` binds beyond loopback (SPEC §2); never part of the config. */
  readonly adminToken?: string;
}

export interface Addresses {
  readonly proxy: string;
  readonly admin: string;
}

export interface App {
  readonly store: SpanStore;
  start(): Promise<Addresses>;
  /** Swaps in a new config for new requests; in-flight ones finish on the old one. */
  reload(config: HopConfig): Promise<void>;
  /** Drain (up to the config's drainTimeoutMs), flush every pending span, release everything. */
  close(): Promise<void>;
  /** Exports everything queued so far; for tests and shutdown. */
  flush(): Promise<void>;
  exportStats(): ExportStats[];
  openSockets(): number;
  isReady(): boolean;
}

/** Throws, before anything is opened, when the admin token is missing or a TLS file cannot be used. */
export function createApp(initial: HopConfig, options: AppOptions = {}): App {
  const adminGuard = adminGuardFor(initial.admin, options.adminToken);
  const initialFiles = readTlsFiles(initial);
  const logger = options.logger ?? silentLogger();
  const store = createSpanStore(options.store);
  const forwarder = createForwarder();
  const listener = options.listener ?? NO_LISTENER;
  let lastExportErrorLog = 0;
  const onExportError = (name: string, error: Error): void => {
    // At most one line a second: a down collector must not flood the log.
    const now = Date.now();
    if (now - lastExportErrorLog < 1_000) return;
    lastExportErrorLog = now;
    logger.warn({ exporter: name, err: error.message }, 'span export failed; spans dropped');
  };

  let config = initial;
  let pipeline = buildPipeline(config);
  let runtime = buildRuntime(config, pipeline, initialFiles);
  let state: 'new' | 'ready' | 'draining' | 'closed' = 'new';

  function buildPipeline(from: HopConfig): ExportPipeline {
    return createExportPipeline(from.tracing.exporters, {
      store,
      extraExporters: options.extraExporters,
      processor: options.processor,
      onExportError,
    });
  }

  function buildRuntime(from: HopConfig, exports: ExportPipeline, files: TlsFiles): HopRuntime {
    return {
      table: createRouteTable(from.routes, {
        agentFor: (route, target) =>
          target.protocol === 'https:'
            ? forwarder.httpsAgent(target.hostname, route.upstreamCa === undefined ? undefined : files.upstreamCa.get(route.upstreamCa))
            : undefined,
      }),
      tracing: createTracing(from.tracing, exports.processors, from.routes),
      forwarder,
      listener,
      defaultService: from.tracing.serviceName,
    };
  }

  const proxy = createProxyServer(() => runtime, { tls: initialFiles.listener, limits: initial.limits });
  const admin = createAdminServer(
    [...healthRoutes(() => state === 'ready'), ...zipkinApiRoutes(store), ...viewerApiRoutes(store), ...viewerRoutes()],
    { guard: adminGuard },
  );

  return {
    store,
    async start() {
      const proxyAddress = await listen(proxy.server, config.listen);
      const adminAddress = await listen(admin.server, config.admin);
      state = 'ready';
      logger.info({ proxy: proxyAddress, admin: adminAddress, routes: config.routes.length }, 'listening');
      return { proxy: proxyAddress, admin: adminAddress };
    },
    async reload(next) {
      // Certificates are re-read on every reload; an unreadable one rejects the reload, the old config stays.
      assertReloadable(config, next);
      const files = readTlsFiles(next);
      const exportersChanged = JSON.stringify(next.tracing.exporters) !== JSON.stringify(config.tracing.exporters);
      const nextPipeline = exportersChanged ? buildPipeline(next) : pipeline;
      const previous = pipeline;
      runtime = buildRuntime(next, nextPipeline, files);
      proxy.update({ tls: files.listener, limits: next.limits });
      config = next;
      pipeline = nextPipeline;
      if (exportersChanged) await previous.shutdown();
      logger.info({ routes: next.routes.length }, 'config reloaded');
    },
    async close() {
      if (state === 'closed') return;
      state = 'draining';
      await proxy.close(config.drainTimeoutMs);
      await pipeline.shutdown();
      await admin.close();
      forwarder.close();
      state = 'closed';
    },
    flush: () => pipeline.forceFlush(),
    exportStats: () => pipeline.stats(),
    openSockets: () => proxy.openSockets(),
    isReady: () => state === 'ready',
  };
}

async function listen(server: import('node:http').Server, at: HostPort): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
