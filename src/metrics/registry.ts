/**
 * The metrics of one app, in a prom-client Registry the app owns (never prom-client's global one: two
 * apps in one process, as in tests, must not share counters).
 *
 * Request metrics are recorded by the HopListener this returns. Everything else is read when /metrics is
 * scraped, through callbacks into the app: export counts and queue lengths per exporter, the span store,
 * WebSocket sessions, access-log drops. Nothing here runs on the request path but `listener` and
 * `spanCounter.onStart`.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { ExportStats } from '../export/bounded-processor.js';
import type { HopListener } from '../proxy/hop-record.js';
import { createHttpMetrics } from './http-metrics.js';
import { LABEL, METRIC } from './names.js';
import { processMetrics } from './process-metrics.js';

export interface MetricsSources {
  /** Stats of the exporters of the current config. */
  exportStats(): readonly ExportStats[];
  storeStats(): { readonly traces: number; readonly spans: number; readonly evictedTraces: number };
  websocketSessions(): number;
  accessLogDropped(): number;
  /** Metrics of other processes to sum with these at each scrape (the workers of a cluster primary). */
  peers?: () => Promise<MetricsJson[]>;
}

/** One process's metrics as prom-client's getMetricsAsJSON() gives them, for summing across processes. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export interface HopMetrics {
  /** The app's own metrics; /metrics renders these and the process metrics together. */
  readonly registry: Registry;
  readonly listener: HopListener;
  /** Counts every span started; goes beside the exporters' processors. */
  readonly spanCounter: SpanProcessor;
  readonly contentType: string;
  recordReload(result: ReloadResult): void;
  /**
   * An export pipeline replaced by a reload. Its counts stay in the totals, so the exported and dropped
   * counters of an exporter name keep counting up across reloads, as Prometheus counters must: read live
   * while it shuts down, then, once `settle()` is called, kept as final numbers and the pipeline let go.
   */
  retireExporters(stats: () => readonly ExportStats[]): { settle(): void };
  /** The Prometheus text exposition of the app's and the process's metrics (and the peers', summed). */
  render(): Promise<string>;
  /** The app's and the process's metrics as JSON, for a cluster primary to sum. */
  json(): Promise<MetricsJson>;
}

export type ReloadResult = 'success' | 'failure';

export function createMetrics(sources: MetricsSources): HopMetrics {
  const registry = new Registry();
  const registers = [registry];
  const http = createHttpMetrics(registry);
  /** Final counts of retired pipelines, per exporter name. */
  const settled = new Map<string, ExportStats>();
  /** Pipelines still shutting down after a reload. */
  const retiring = new Set<() => readonly ExportStats[]>();
  let spansStarted = 0;

  /** Stats per exporter name: the current pipeline's, plus those of every pipeline a reload replaced. */
  function exportTotals(): ExportStats[] {
    const totals = new Map<string, ExportStats>(settled);
    const add = (stats: ExportStats): void => {
      totals.set(stats.name, sumStats(totals.get(stats.name), stats));
    };
    for (const live of retiring) live().forEach(add);
    sources.exportStats().forEach(add);
    return [...totals.values()];
  }

  new Gauge({
    name: METRIC.serverActive,
    help: 'Requests through the proxy whose response has not ended.',
    registers,
    collect() {
      this.set(http.active());
    },
  });
  new Gauge({
    name: METRIC.websocketSessions,
    help: 'Open WebSocket sessions.',
    registers,
    collect() {
      this.set(sources.websocketSessions());
    },
  });
  new Counter({
    name: METRIC.spansStarted,
    help: 'Spans started (sampled ones only; an unsampled request records none).',
    registers,
    collect() {
      this.reset();
      this.inc(spansStarted);
    },
  });
  perExporter(registers, Counter, METRIC.spansExported, 'Spans accepted by each exporter.', exportTotals, (stats) => stats.exported);
  perExporter(registers, Counter, METRIC.spansDropped, 'Spans lost per exporter: queue full, export failed or timed out.', exportTotals, (stats) => stats.dropped);
  perExporter(registers, Counter, METRIC.spansSkipped, 'Spans left out of an exporter on purpose: the built-in store keeps a sample of traces under load.', exportTotals, (stats) => stats.skipped);
  perExporter(registers, Counter, METRIC.exportFailures, 'Failed export calls per exporter (each drops its batch).', exportTotals, (stats) => stats.failedExports);
  perExporter(registers, Gauge, METRIC.exportQueueLength, 'Spans waiting in each exporter queue.', exportTotals, (stats) => stats.queueLength);

  new Gauge({
    name: METRIC.storeTraces,
    help: 'Traces in the built-in store.',
    registers,
    collect() {
      this.set(sources.storeStats().traces);
    },
  });
  new Gauge({
    name: METRIC.storeSpans,
    help: 'Spans in the built-in store.',
    registers,
    collect() {
      this.set(sources.storeStats().spans);
    },
  });
  new Counter({
    name: METRIC.storeEvictedTraces,
    help: 'Traces evicted from the built-in store to keep it within its caps.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.storeStats().evictedTraces);
    },
  });
  new Counter({
    name: METRIC.accessLogDropped,
    help: 'Access log lines dropped because the destination could not keep up.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.accessLogDropped());
    },
  });

  const reloads = new Counter({
    name: METRIC.configReloads,
    help: 'Config reloads, by result.',
    labelNames: [LABEL.result],
    registers,
    aggregator: 'max', // every cluster worker reloads the same config: one reload, not one per worker
  });
  const lastReloadSuccessful = new Gauge({
    name: METRIC.configLastReloadSuccessful,
    help: 'Whether the last config reload succeeded (1) or was rejected (0).',
    registers,
    aggregator: 'min', // across cluster workers: 0 if any rejected it
  });
  const lastReloadSuccessTime = new Gauge({
    name: METRIC.configLastReloadSuccessTime,
    help: 'When the running config was loaded, in seconds since the epoch.',
    registers,
    aggregator: 'max',
  });
  // Both results show from the start, at 0, so a rate() over them works before the first reload.
  reloads.inc({ [LABEL.result]: 'success' }, 0);
  reloads.inc({ [LABEL.result]: 'failure' }, 0);
  lastReloadSuccessful.set(1);
  lastReloadSuccessTime.set(Date.now() / 1_000);

  const scrape = Registry.merge([registry, processMetrics()]);

  return {
    registry,
    listener: http,
    spanCounter: {
      onStart(_span: Span, _parentContext: Context): void {
        spansStarted += 1;
      },
      onEnd(_span: ReadableSpan): void {},
      forceFlush: async () => {},
      shutdown: async () => {},
    },
    contentType: registry.contentType,
    recordReload(result) {
      reloads.inc({ [LABEL.result]: result });
      lastReloadSuccessful.set(result === 'success' ? 1 : 0);
      if (result === 'success') lastReloadSuccessTime.set(Date.now() / 1_000);
    },
    retireExporters(live) {
      retiring.add(live);
      return {
        settle() {
          if (!retiring.delete(live)) return;
          for (const stats of live()) settled.set(stats.name, { ...sumStats(settled.get(stats.name), stats), queueLength: 0 });
        },
      };
    },
    async render() {
      if (sources.peers === undefined) return scrape.metrics();
      const [own, peers] = await Promise.all([scrape.getMetricsAsJSON(), sources.peers()]);
      return AggregatorRegistry.aggregate([own, ...peers]).metrics();
    },
    json: () => scrape.getMetricsAsJSON(),
  };
}

function sumStats(a: ExportStats | undefined, b: ExportStats): ExportStats {
  if (a === undefined) return b;
  return {
    name: b.name,
    exported: a.exported + b.exported,
    dropped: a.dropped + b.dropped,
    skipped: a.skipped + b.skipped,
    failedExports: a.failedExports + b.failedExports,
    queueLength: a.queueLength + b.queueLength,
  };
}

/** A counter or gauge with one series per exporter, read from `totals` at each scrape. */
function perExporter(
  registers: Registry[],
  Kind: typeof Counter | typeof Gauge,
  name: string,
  help: string,
  totals: () => readonly ExportStats[],
  value: (stats: ExportStats) => number,
): void {
  new Kind({
    name,
    help,
    labelNames: [LABEL.exporter],
    registers,
    collect(this: Counter | Gauge) {
      this.reset();
      for (const stats of totals()) {
        if (this instanceof Gauge) this.set({ [LABEL.exporter]: stats.name }, value(stats));
        else this.inc({ [LABEL.exporter]: stats.name }, value(stats));
      }
    },
  });
}
