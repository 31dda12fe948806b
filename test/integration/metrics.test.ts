import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS, LABEL, METRIC } from '../../src/metrics/names.js';
import { buildConfig } from '../../src/config/index.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';
import { plainRequest } from '../helpers/plain-request.js';
import { parsePrometheus, type PromScrape } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait.js';

/** Nothing listens on port 1 of the loopback: connecting there is refused at once. */
const REFUSED_UPSTREAM = 'http://127.0.0.1:1';

async function scrape(proxy: TestProxy): Promise<PromScrape> {
  const res = await plainRequest(`${proxy.adminUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(res.body);
}

function serverLabels(route: string, method: string, status: string, statusClass: string, errorType = ''): Record<string, string> {
  return { [LABEL.route]: route, [LABEL.method]: method, [LABEL.statusCode]: status, [LABEL.statusClass]: statusClass, [LABEL.errorType]: errorType };
}

async function startApiProxy(extra: Record<string, unknown> = {}): Promise<{ proxy: TestProxy; upstreamUrl: string }> {
  const upstream = await startUpstream((req, res) => {
    const bad = req.url?.startsWith('/api/bad') === true;
    res.writeHead(bad ? 502 : 200, { 'content-type': 'text/plain' });
    res.end(bad ? 'upstream says bad gateway' : 'ok');
  });
  const proxy = await startProxy({
    routes: [
      { name: 'api', service: 'api-svc', match: { pathPrefix: '/api' }, upstream: upstream.url },
      { name: 'down', match: { pathPrefix: '/down' }, upstream: REFUSED_UPSTREAM },
    ],
    ...extra,
  });
  return { proxy, upstreamUrl: upstream.url };
}

/** 3 GETs answered 200 and 2 answered 502 by the upstream, one POST to a refused upstream, one unmatched GET. */
async function knownTraffic(proxy: TestProxy): Promise<void> {
  for (let i = 0; i < 3; i += 1) expect((await plainRequest(`${proxy.url}/api/ok?token=${i}`)).status).toBe(200);
  for (let i = 0; i < 2; i += 1) expect((await plainRequest(`${proxy.url}/api/bad`)).status).toBe(502);
  expect((await plainRequest(`${proxy.url}/down/x`, { method: 'POST', body: 'hello' })).status).toBe(502);
  expect((await plainRequest(`${proxy.url}/nowhere`)).status).toBe(404);
}

describe('GET /metrics', () => {
  it('counts requests per route, method and status, with a duration histogram under the OpenTelemetry name', async () => {
    const { proxy } = await startApiProxy();
    await knownTraffic(proxy);
    const metrics = await scrape(proxy);

    expect(metrics.types.get(METRIC.serverRequests)).toBe('counter');
    expect(metrics.types.get(METRIC.serverDuration)).toBe('histogram');
    expect(metrics.find(METRIC.serverRequests)).toHaveLength(4);
    expect(metrics.value(METRIC.serverRequests, serverLabels('api', 'GET', '200', '2xx'))).toBe(3);
    expect(metrics.value(METRIC.serverRequests, serverLabels('api', 'GET', '502', '5xx'))).toBe(2);
    expect(metrics.value(METRIC.serverRequests, serverLabels('down', 'POST', '502', '5xx', 'connection_refused'))).toBe(1);
    expect(metrics.value(METRIC.serverRequests, serverLabels('', 'GET', '404', '4xx', 'route_not_found'))).toBe(1);

    const ok = serverLabels('api', 'GET', '200', '2xx');
    expect(metrics.value(`${METRIC.serverDuration}_count`, ok)).toBe(3);
    expect(metrics.value(`${METRIC.serverDuration}_sum`, ok)).toBeGreaterThan(0);
    const buckets = metrics.find(`${METRIC.serverDuration}_bucket`, ok);
    expect(buckets.map((bucket) => bucket.labels.le)).toEqual([...DURATION_BUCKETS.map(String), '+Inf']);
    const counts = buckets.map((bucket) => bucket.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b)); // cumulative
    expect(counts.at(-1)).toBe(3);
    expect(metrics.value(`${METRIC.serverDuration}_count`, serverLabels('api', 'GET', '502', '5xx'))).toBe(2);
    // The path (with or without its query) is never a label.
    expect(metrics.samples.some((sample) => Object.values(sample.labels).some((value) => value.includes('/api/ok')))).toBe(false);
  });

  it('records upstream durations of answered requests and upstream failures by error type', async () => {
    const { proxy, upstreamUrl } = await startApiProxy();
    await knownTraffic(proxy);
    const metrics = await scrape(proxy);

    const client = (status: string, statusClass: string): Record<string, string> => ({
      [LABEL.route]: 'api',
      [LABEL.upstream]: upstreamUrl,
      [LABEL.method]: 'GET',
      [LABEL.statusCode]: status,
      [LABEL.statusClass]: statusClass,
    });
    expect(metrics.types.get(METRIC.clientDuration)).toBe('histogram');
    expect(metrics.value(`${METRIC.clientDuration}_count`, client('200', '2xx'))).toBe(3);
    expect(metrics.value(`${METRIC.clientDuration}_count`, client('502', '5xx'))).toBe(2);
    expect(metrics.find(`${METRIC.clientDuration}_count`)).toHaveLength(2); // the refused upstream never answered

    expect(metrics.find(METRIC.upstreamErrors)).toHaveLength(1);
    expect(
      metrics.value(METRIC.upstreamErrors, { [LABEL.route]: 'down', [LABEL.upstream]: REFUSED_UPSTREAM, [LABEL.errorType]: 'connection_refused' }),
    ).toBe(1);
    expect(metrics.value(METRIC.serverActive)).toBe(0);
    expect(metrics.value(METRIC.websocketSessions)).toBe(0);
  });

  it('counts spans started, exported and dropped and the queue length per exporter, after a flush', async () => {
    const failing = await startZipkinReceiver(500);
    const { proxy } = await startApiProxy({ tracing: { exporters: [{ type: 'zipkin', endpoint: failing.endpoint }] } });
    await knownTraffic(proxy);
    await proxy.app.flush();
    const metrics = await scrape(proxy);

    // 6 forwarded requests with a SERVER and a CLIENT span each, and the unmatched one's SERVER span.
    expect(proxy.memory.getFinishedSpans()).toHaveLength(13);
    expect(metrics.value(METRIC.spansStarted)).toBe(13);
    for (const exporter of ['store', 'extra[0]']) {
      expect(metrics.value(METRIC.spansExported, { [LABEL.exporter]: exporter })).toBe(13);
      expect(metrics.value(METRIC.spansDropped, { [LABEL.exporter]: exporter })).toBe(0);
      expect(metrics.value(METRIC.exportQueueLength, { [LABEL.exporter]: exporter })).toBe(0);
    }
    expect(metrics.value(METRIC.spansExported, { [LABEL.exporter]: 'zipkin[0]' })).toBe(0);
    expect(metrics.value(METRIC.spansDropped, { [LABEL.exporter]: 'zipkin[0]' })).toBe(13);
    expect(metrics.value(METRIC.exportFailures, { [LABEL.exporter]: 'zipkin[0]' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value(METRIC.storeSpans)).toBe(13);
    expect(metrics.value(METRIC.storeTraces)).toBe(7);
  });

  it('includes the default process metrics', async () => {
    const { proxy } = await startApiProxy();
    const metrics = await scrape(proxy);
    expect(metrics.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metrics.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(metrics.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('keeps the counters of two apps in one process apart', async () => {
    const first = await startApiProxy();
    const second = await startApiProxy();
    await knownTraffic(first.proxy);
    expect((await scrape(first.proxy)).find(METRIC.serverRequests)).toHaveLength(4);
    expect((await scrape(second.proxy)).find(METRIC.serverRequests)).toHaveLength(0);
    expect((await scrape(second.proxy)).value(METRIC.spansStarted)).toBe(0);
  });

  it('counts config reloads by result, and exporter counters keep counting across a reload', async () => {
    const { proxy, upstreamUrl } = await startApiProxy();
    await knownTraffic(proxy);
    await proxy.app.flush();
    const before = await scrape(proxy);
    expect(before.value(METRIC.configReloads, { [LABEL.result]: 'success' })).toBe(0);
    expect(before.value(METRIC.configReloads, { [LABEL.result]: 'failure' })).toBe(0);

    const receiver = await startZipkinReceiver();
    const base = {
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      accessLog: { enabled: false },
      routes: [{ name: 'api', match: { pathPrefix: '/api' }, upstream: upstreamUrl }],
    };
    // A new exporter list builds a new export pipeline: the store's counts must carry on from 13.
    await proxy.app.reload(buildConfig({ ...base, tracing: { exporters: [{ type: 'zipkin', endpoint: receiver.endpoint }] } }));
    await expect(
      proxy.app.reload(buildConfig({ ...base, accessLog: { destination: '/nonexistent-hoptrace-dir/access.log' } })),
    ).rejects.toMatchObject({ code: 'HOP_ERR_ACCESS_LOG_OPEN' });
    expect((await plainRequest(`${proxy.url}/api/ok`)).status).toBe(200); // the reloaded config still runs
    await proxy.app.flush();

    const after = await scrape(proxy);
    expect(after.value(METRIC.configReloads, { [LABEL.result]: 'success' })).toBe(1);
    expect(after.value(METRIC.configReloads, { [LABEL.result]: 'failure' })).toBe(1);
    expect(after.value(METRIC.configLastReloadSuccessful)).toBe(0);
    expect(after.value(METRIC.spansExported, { [LABEL.exporter]: 'store' })).toBe(15);
    expect(after.value(METRIC.spansExported, { [LABEL.exporter]: 'zipkin[0]' })).toBe(2);
    expect(receiver.spans).toHaveLength(2);
    expect(after.value(METRIC.spansStarted)).toBe(15);
  });

  it('leaves no socket open once its clients are done', async () => {
    const { proxy } = await startApiProxy();
    await knownTraffic(proxy);
    await scrape(proxy);
    await waitFor(() => proxy.app.openSockets() === 0, 2_000, 'the proxy sockets to close');
  });
});
