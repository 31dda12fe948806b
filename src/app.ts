/**
 * createApp(config) → { start(), reload(config), close() }: the one place the modules are wired.
 *
 * The app owns what outlives a config (the listening sockets, the upstream connection pools, the span store) and
 * builds what a config decides (route table, tracers, exporters) as one HopRuntime that a reload replaces
 * with a single reference swap. Hops keep the runtime they started on; when a reload replaces the exporters,
 * the old ones are shut down (flushing their queue) only once the old runtime's last hop has ended, or after
 * drainTimeoutMs, so a reload loses no span of a request in flight.
 */
import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { HopConfig, HostPort } from './config/types.js';
import { createExportPipeline, type ExportPipeline } from './export/pipeline.js';
import { createSpanStore, STORE_DEFAULTS, type SpanStore, type SpanStoreOptions, type StoreExporter } from './export/span-store.js';
import type { BoundedProcessorOptions, ExportStats } from './export/bounded-processor.js';
import { createRouteTable } from './routing/route-table.js';
import { createTracing } from './tracing/tracing.js';
import { createForwarder, type UpstreamSockets } from './proxy/forward.js';
import { createHopCounter } from './proxy/hop-counter.js';
import { createProxyServer } from './proxy/server.js';
import type { HopRuntime } from './proxy/http-hop.js';
import type { HopListener } from './proxy/hop-record.js';
import { createAdminServer } from './admin/server.js';
import { healthRoutes } from './admin/health.js';
import { metricsRoutes } from './admin/metrics-route.js';
import { configRoutes } from './admin/config-route.js';
import { createMetrics, type MetricsJson } from './metrics/registry.js';
import { createAccessLog, type AccessLog } from './log/access-log.js';
import { composeListeners } from './proxy/hop-listeners.js';
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
  /** Where spans for the built-in store go instead of this app's own store (cluster workers, cluster.ts). */
  readonly storeExporter?: StoreExporter;
  /** false: the proxy port is not opened (a cluster primary serves only the admin port). Default true. */
  readonly serveProxy?: boolean;
  /** false: the admin port is not opened (cluster workers; the primary serves it). Default true. */
  readonly serveAdmin?: boolean;
  /** The metrics of other processes (cluster workers), summed into /metrics with this app's own. */
  readonly peerMetrics?: () => Promise<MetricsJson[]>;
  /**
   * This process's share of the proxy's per-second budgets (tracing.maxNewTracesPerSecond, the built-in
   * store's sample under load): 1/N in each of N cluster workers. Default 1.
   */
  readonly rateShare?: number;
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
  /** This process's metrics as JSON (a cluster worker answers its primary with them). */
  metricsJson(): Promise<MetricsJson>;
  /** A reload that never reached reload() (the new config did not load or validate); counted in /metrics. */
  reloadRejected(): void;
  /** Client connections open on the proxy port. */
  openSockets(): number;
  /** Upstream connections carrying a request, and idle ones kept for reuse. */
  upstreamSockets(): UpstreamSockets;
  /** WebSocket sessions open right now. */
  wsSessions(): number;
  isReady(): boolean;
  /** /readyz answers 503 from now on; for a process whose drain happens elsewhere (the cluster primary). */
  markDraining(): void;
}

/** Throws, before anything is opened, when the admin token is missing or a TLS file cannot be used. */
export function createApp(initial: HopConfig, options: AppOptions = {}): App {
  const adminGuard = adminGuardFor(initial.admin, options.adminToken);
  const initialFiles = readTlsFiles(initial);
  const logger = options.logger ?? silentLogger();
  const store = createSpanStore(options.store);
  const forwarder = createForwarder();
  let lastExportErrorLog = 0;
  const onExportError = (name: string, error: Error): void => {
    // At most one line a second: a down collector must not flood the log.
    const now = Date.now();
    if (now - lastExportErrorLog < 1_000) return;
    lastExportErrorLog = now;
    logger.warn({ exporter: name, err: error.message }, 'span export failed; spans dropped');
  };

  let lastAccessLogErrorLog = 0;
  let accessLogDrops = 0;
  const accessLogOptions = {
    onError: (error: Error): void => {
      const now = Date.now();
      if (now - lastAccessLogErrorLog < 1_000) return;
      lastAccessLogErrorLog = now;
      logger.warn({ err: error.message }, 'access log write failed');
    },
    onDrop: (): void => {
      accessLogDrops += 1;
    },
  };
  const metrics = createMetrics({
    exportStats: () => pipeline.stats(),
    storeStats: () => store.stats(),
    // Read at scrape time only, after the proxy below exists.
    websocketSessions: () => proxy.wsSessions(),
    accessLogDropped: () => accessLogDrops,
    peers: options.peerMetrics,
  });
  /** Access logs replaced by a reload, closing once their last request is written. */
  const retiringLogs = new Set<Promise<void>>();

  let config = initial;
  let pipeline = buildPipeline(config);
  let accessLog = createAccessLog(config.accessLog, accessLogOptions);
  let runtime = buildRuntime(config, pipeline, initialFiles, accessLog);
  let state: 'new' | 'ready' | 'draining' | 'closed' = 'new';
  /** Pipelines replaced by a reload, shutting down once their runtime's hops have ended. */
  const retiring = new Set<Promise<void>>();

  function buildPipeline(from: HopConfig): ExportPipeline {
    return createExportPipeline(from.tracing.exporters, {
      store,
      extraExporters: options.extraExporters,
      storeExporter: options.storeExporter,
      storeTracesPerSecond: STORE_DEFAULTS.tracesPerSecond * (options.rateShare ?? 1),
      processor: options.processor,
      onExportError,
    });
  }

  /** `previous`: the runtime this one replaces on a reload. */
  function buildRuntime(from: HopConfig, exports: ExportPipeline, files: TlsFiles, log: AccessLog, previous?: HopRuntime): HopRuntime {
    return {
      table: createRouteTable(from.routes, {
        transportFor: (route, target) =>
          target.protocol === 'https:'
            ? forwarder.httpsTransport(target.hostname, route.upstreamCa === undefined ? undefined : files.upstreamCa.get(route.upstreamCa))
            : undefined,
      }),
      tracing: createTracing(from.tracing, [metrics.spanCounter, ...exports.processors], {
        routes: from.routes,
        previous: previous?.tracing,
        rateShare: options.rateShare,
      }),
      forwarder,
      listener: composeListeners([metrics.listener, log.enabled ? log : undefined, options.listener]),
      defaultService: from.tracing.serviceName,
      hops: createHopCounter(),
    };
  }

  /**
   * Shuts `old` down once `oldRuntime` has no hop left (or after drainTimeoutMs): their spans go out first.
   * Until then its counts stay live in /metrics, then they are kept as final numbers.
   */
  function retire(oldRuntime: HopRuntime, old: ExportPipeline): void {
    const counted = metrics.retireExporters(() => old.stats());
    const done = within(oldRuntime.hops.idle(), config.drainTimeoutMs)
      .then(() => old.shutdown())
      .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'shutting down replaced exporters failed'))
      .finally(() => {
        counted.settle();
        retiring.delete(done);
      });
    retiring.add(done);
  }

  let closing: Promise<void> | undefined;
  async function drainAndClose(): Promise<void> {
    state = 'draining'; // /readyz answers 503 from here on
    await proxy.close(config.drainTimeoutMs);
    await Promise.all(retiring);
    // A collector that hangs must not hold the exit forever: the flush gets drainTimeoutMs as well.
    await within(pipeline.shutdown(), config.drainTimeoutMs);
    await Promise.all([accessLog.close(), ...retiringLogs]);
    await admin.close();
    forwarder.close();
    state = 'closed';
  }

  const proxy = createProxyServer(() => runtime, {
    tls: initialFiles.listener,
    limits: initial.limits,
    headersTimeoutMs: initial.headersTimeoutMs,
  });
  const admin = createAdminServer(
    [
      ...healthRoutes(() => state === 'ready'),
      ...metricsRoutes(metrics),
      ...configRoutes(() => config),
      ...zipkinApiRoutes(store),
      ...viewerApiRoutes(store),
      ...viewerRoutes(),
    ],
    { guard: adminGuard },
  );

  return {
    store,
    async start() {
      accessLog.open();
      const proxyAddress = options.serveProxy === false ? '' : await listen(proxy.server, config.listen);
      const adminAddress = options.serveAdmin === false ? '' : await listen(admin.server, config.admin);
      state = 'ready';
      logger.info({ proxy: proxyAddress, admin: adminAddress, routes: config.routes.length }, 'listening');
      return { proxy: proxyAddress, admin: adminAddress };
    },
    async reload(next) {
      const accessLogChanged = JSON.stringify(next.accessLog) !== JSON.stringify(config.accessLog);
      const nextLog = accessLogChanged ? createAccessLog(next.accessLog, accessLogOptions) : accessLog;
      try {
        // Certificates are re-read on every reload; an unreadable one rejects the reload, the old config stays.
        assertReloadable(config, next);
        const files = readTlsFiles(next);
        nextLog.open(); // so does an access log file that cannot be opened
        const exportersChanged = JSON.stringify(next.tracing.exporters) !== JSON.stringify(config.tracing.exporters);
        const nextPipeline = exportersChanged ? buildPipeline(next) : pipeline;
        const previous = { runtime, pipeline };
        const previousLog = accessLog;
        runtime = buildRuntime(next, nextPipeline, files, nextLog, runtime);
        proxy.update({ tls: files.listener, limits: next.limits, headersTimeoutMs: next.headersTimeoutMs });
        if (!sameAddress(next.listen, config.listen) || !sameAddress(next.admin, config.admin)) {
          logger.warn('listen and admin addresses change on restart only; the sockets stay where they are');
        }
        config = next;
        pipeline = nextPipeline;
        accessLog = nextLog;
        if (accessLogChanged) {
          const closingLog = previousLog.close().finally(() => retiringLogs.delete(closingLog));
          retiringLogs.add(closingLog);
        }
        if (exportersChanged) retire(previous.runtime, previous.pipeline);
      } catch (error) {
        if (nextLog !== accessLog) void nextLog.close();
        metrics.recordReload('failure');
        throw error;
      }
      metrics.recordReload('success');
      logger.info({ routes: next.routes.length }, 'config reloaded');
    },
    close() {
      closing ??= drainAndClose();
      return closing;
    },
    flush: async () => {
      await Promise.all([pipeline.forceFlush(), ...retiring]);
    },
    exportStats: () => pipeline.stats(),
    metricsJson: () => metrics.json(),
    reloadRejected: () => metrics.recordReload('failure'),
    openSockets: () => proxy.openSockets(),
    upstreamSockets: () => forwarder.sockets(),
    wsSessions: () => proxy.wsSessions(),
    isReady: () => state === 'ready',
    markDraining: () => {
      if (state === 'ready') state = 'draining';
    },
  };
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

function sameAddress(a: HostPort, b: HostPort): boolean {
  return a.host === b.host && a.port === b.port;
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
