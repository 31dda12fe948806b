/**
 * Exporter faults (SPEC §5): a span endpoint that refuses, answers 500 or hangs costs spans, counted as
 * dropped, and nothing else: every request is still proxied, the queue stays within its cap, and export
 * resumes when the endpoint is back.
 */
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { ExportStats } from '../../src/export/bounded-processor.js';
import { refusedUrl, send, startCollector, startRecordingUpstream, traceIdOf } from '../helpers/faults.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const zipkinStats = (app: App): ExportStats => app.exportStats().find((stats) => stats.name === 'zipkin[0]')!;

async function sendMany(url: string, count: number): Promise<{ statuses: number[]; traceIds: string[] }> {
  const replies = await Promise.all(Array.from({ length: count }, (_, i) => send(url, { path: `/r${i}` })));
  return { statuses: replies.map((reply) => reply.status), traceIds: replies.map((reply) => traceIdOf(reply.headers)) };
}

describe('exporter faults', () => {
  it('keeps proxying while the span endpoint refuses connections, and counts the spans lost', async () => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({
      tracing: { exporters: [{ type: 'zipkin', endpoint: `${await refusedUrl()}/api/v2/spans` }] },
      routes: [{ name: 'api', upstream: upstream.url }],
    });

    const { statuses } = await sendMany(proxy.url, 10);

    expect(statuses).toEqual(Array(10).fill(200));
    await waitFor(() => zipkinStats(proxy.app).dropped === 20, 5_000, '20 dropped spans');
    expect(zipkinStats(proxy.app)).toMatchObject({ exported: 0, queueLength: 0 });
    expect(zipkinStats(proxy.app).failedExports).toBeGreaterThan(0);
    // The other exporters are not held back by the failing one.
    expect((await proxy.spans()).length).toBe(20);
  });

  it('keeps proxying while the span endpoint answers 500, and exports again once it recovers', async () => {
    const collector = await startCollector('fail500');
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({
      tracing: { exporters: [{ type: 'zipkin', endpoint: collector.endpoint }] },
      routes: [{ name: 'api', upstream: upstream.url }],
    });

    const during = await sendMany(proxy.url, 5);
    expect(during.statuses).toEqual(Array(5).fill(200));
    await waitFor(() => zipkinStats(proxy.app).dropped === 10, 5_000, '10 dropped spans');

    collector.setMode('accept');
    const after = await sendMany(proxy.url, 5);

    const spans = await collector.waitForSpans((received) => received.length >= 10);
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set(after.traceIds));
    // The collector has the spans before the proxy has read its answer: wait for the count to follow.
    await waitFor(() => zipkinStats(proxy.app).exported === 10, 5_000, 'the export to be counted');
    expect(zipkinStats(proxy.app)).toMatchObject({ exported: 10, dropped: 10 });
  });

  it('keeps proxying while the span endpoint hangs, gives up each export at its deadline, and resumes', async () => {
    const collector = await startCollector('hang');
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy(
      {
        tracing: { exporters: [{ type: 'zipkin', endpoint: collector.endpoint }] },
        routes: [{ name: 'api', upstream: upstream.url }],
      },
      { processor: { scheduledDelayMs: 20, exportTimeoutMs: 200 } },
    );

    const during = await sendMany(proxy.url, 5);
    expect(during.statuses).toEqual(Array(5).fill(200));
    await waitFor(() => zipkinStats(proxy.app).dropped === 10, 5_000, 'the hanging export to be given up');

    collector.setMode('accept');
    const after = await sendMany(proxy.url, 5);

    const spans = await collector.waitForSpans((received) => after.traceIds.every((id) => received.some((span) => span.traceId === id)));
    expect(spans.filter((span) => during.traceIds.includes(span.traceId))).toEqual([]);
  });

  it('holds at most maxQueueSize spans while the span endpoint hangs, dropping and counting the rest', async () => {
    const collector = await startCollector('hang');
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy(
      {
        tracing: { exporters: [{ type: 'zipkin', endpoint: collector.endpoint }] },
        routes: [{ name: 'api', upstream: upstream.url }],
      },
      { processor: { scheduledDelayMs: 20, maxQueueSize: 4, maxBatchSize: 4, exportTimeoutMs: 60_000 } },
    );

    const { statuses } = await sendMany(proxy.url, 10);

    expect(statuses).toEqual(Array(10).fill(200));
    // 20 spans: one batch of at most 4 waits on the hanging endpoint, at most 4 are queued, the rest dropped.
    const stats = await waitFor(() => {
      const current = zipkinStats(proxy.app);
      return current.dropped >= 12 && current;
    }, 5_000, 'spans beyond the cap to be dropped');
    expect(stats.queueLength).toBeLessThanOrEqual(4);
    expect(stats.exported).toBe(0);
    collector.setMode('accept'); // lets shutdown flush what is left
  });
});
