import { describe, expect, it } from 'vitest';
import type { ExportStats } from '../../../src/export/bounded-processor.js';
import { createMetrics, type MetricsSources } from '../../../src/metrics/registry.js';
import { LABEL, METRIC } from '../../../src/metrics/names.js';
import { parsePrometheus } from '../../helpers/prometheus-text.js';

function sources(overrides: Partial<MetricsSources> = {}): MetricsSources {
  return {
    exportStats: () => [],
    storeStats: () => ({ traces: 0, spans: 0, evictedTraces: 0 }),
    websocketSessions: () => 0,
    accessLogDropped: () => 0,
    ...overrides,
  };
}

function stats(name: string, exported: number, dropped: number, queueLength = 0, skipped = 0): ExportStats {
  return { name, exported, dropped, skipped, failedExports: dropped > 0 ? 1 : 0, queueLength };
}

describe('app metrics', () => {
  it('reads exporter, store, WebSocket and access-log figures from the app at each scrape', async () => {
    let current = [stats('store', 5, 0, 2, 6), stats('zipkin[0]', 3, 4, 1)];
    const metrics = createMetrics(
      sources({
        exportStats: () => current,
        storeStats: () => ({ traces: 2, spans: 5, evictedTraces: 1 }),
        websocketSessions: () => 3,
        accessLogDropped: () => 7,
      }),
    );
    let scrape = parsePrometheus(await metrics.render());
    expect(scrape.value(METRIC.spansExported, { [LABEL.exporter]: 'zipkin[0]' })).toBe(3);
    expect(scrape.value(METRIC.spansDropped, { [LABEL.exporter]: 'zipkin[0]' })).toBe(4);
    expect(scrape.value(METRIC.exportFailures, { [LABEL.exporter]: 'zipkin[0]' })).toBe(1);
    expect(scrape.value(METRIC.exportQueueLength, { [LABEL.exporter]: 'store' })).toBe(2);
    expect(scrape.value(METRIC.spansSkipped, { [LABEL.exporter]: 'store' })).toBe(6);
    expect(scrape.value(METRIC.storeTraces)).toBe(2);
    expect(scrape.value(METRIC.storeSpans)).toBe(5);
    expect(scrape.value(METRIC.storeEvictedTraces)).toBe(1);
    expect(scrape.value(METRIC.websocketSessions)).toBe(3);
    expect(scrape.value(METRIC.accessLogDropped)).toBe(7);

    current = [stats('store', 9, 0)];
    scrape = parsePrometheus(await metrics.render());
    expect(scrape.value(METRIC.spansExported, { [LABEL.exporter]: 'store' })).toBe(9);
    expect(scrape.find(METRIC.spansExported, { [LABEL.exporter]: 'zipkin[0]' })).toHaveLength(0);
  });

  it('keeps exporter counters counting up when a reload replaces the export pipeline', async () => {
    let current = [stats('store', 10, 1)];
    const metrics = createMetrics(sources({ exportStats: () => current }));
    const old = current;
    current = [stats('store', 0, 0)];
    const retired = metrics.retireExporters(() => old);
    old[0] = stats('store', 12, 1, 0); // the old pipeline flushes while it shuts down
    let scrape = parsePrometheus(await metrics.render());
    expect(scrape.value(METRIC.spansExported, { [LABEL.exporter]: 'store' })).toBe(12);

    retired.settle();
    current = [stats('store', 3, 0, 4)];
    scrape = parsePrometheus(await metrics.render());
    expect(scrape.value(METRIC.spansExported, { [LABEL.exporter]: 'store' })).toBe(15);
    expect(scrape.value(METRIC.spansDropped, { [LABEL.exporter]: 'store' })).toBe(1);
    expect(scrape.value(METRIC.exportQueueLength, { [LABEL.exporter]: 'store' })).toBe(4);
  });

  it('counts reloads by result, both at 0 to begin with', async () => {
    const metrics = createMetrics(sources());
    let scrape = parsePrometheus(await metrics.render());
    expect(scrape.value(METRIC.configReloads, { [LABEL.result]: 'success' })).toBe(0);
    expect(scrape.value(METRIC.configReloads, { [LABEL.result]: 'failure' })).toBe(0);
    expect(scrape.value(METRIC.configLastReloadSuccessful)).toBe(1);
    const loadedAt = scrape.value(METRIC.configLastReloadSuccessTime);
    expect(Math.abs(loadedAt - Date.now() / 1_000)).toBeLessThan(60);

    metrics.recordReload('success');
    metrics.recordReload('failure');
    metrics.recordReload('failure');
    scrape = parsePrometheus(await metrics.render());
    expect(scrape.value(METRIC.configReloads, { [LABEL.result]: 'success' })).toBe(1);
    expect(scrape.value(METRIC.configReloads, { [LABEL.result]: 'failure' })).toBe(2);
    expect(scrape.value(METRIC.configLastReloadSuccessful)).toBe(0);
  });

  it('gives each app its own registry, and both the same process metrics', async () => {
    const first = createMetrics(sources());
    const second = createMetrics(sources());
    expect(first.registry).not.toBe(second.registry);
    first.recordReload('success');
    first.spanCounter.onStart(undefined as never, undefined as never);
    const a = parsePrometheus(await first.render());
    const b = parsePrometheus(await second.render());
    expect(a.value(METRIC.configReloads, { [LABEL.result]: 'success' })).toBe(1);
    expect(b.value(METRIC.configReloads, { [LABEL.result]: 'success' })).toBe(0);
    expect(a.value(METRIC.spansStarted)).toBe(1);
    expect(b.value(METRIC.spansStarted)).toBe(0);
    expect(a.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(b.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(first.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
