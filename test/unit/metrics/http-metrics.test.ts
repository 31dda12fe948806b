import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpMetrics } from '../../../src/metrics/http-metrics.js';
import { LABEL, METRIC } from '../../../src/metrics/names.js';
import type { HopRecord } from '../../../src/proxy/hop-record.js';
import { parsePrometheus } from '../../helpers/prometheus-text.js';

const OK: HopRecord = {
  route: 'orders',
  service: 'orders',
  method: 'GET',
  path: '/api/orders/1',
  status: 200,
  durationMs: 4,
  upstreamDurationMs: 3,
  upstream: 'http://127.0.0.1:3001',
  bytesIn: 0,
  bytesOut: 100,
  errorType: undefined,
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  sampled: true,
};

async function record(records: HopRecord[]): Promise<ReturnType<typeof parsePrometheus>> {
  const registry = new Registry();
  const metrics = createHttpMetrics(registry);
  for (const hop of records) {
    metrics.onHopStart();
    metrics.onHopEnd(hop);
  }
  return parsePrometheus(await registry.metrics());
}

describe('request metrics', () => {
  it('puts each duration in the bucket it belongs to, in seconds', async () => {
    const metrics = await record([
      { ...OK, durationMs: 0.5 },
      { ...OK, durationMs: 1 },
      { ...OK, durationMs: 7 },
      { ...OK, durationMs: 20_000 },
    ]);
    const labels = { [LABEL.route]: 'orders', [LABEL.method]: 'GET', [LABEL.statusCode]: '200', [LABEL.statusClass]: '2xx', [LABEL.errorType]: '' };
    const bucket = (le: string): number => metrics.value(`${METRIC.serverDuration}_bucket`, { ...labels, le });
    expect([bucket('0.001'), bucket('0.0025'), bucket('0.005'), bucket('0.01'), bucket('10'), bucket('+Inf')]).toEqual([2, 2, 2, 3, 3, 4]);
    expect(metrics.value(`${METRIC.serverDuration}_sum`, labels)).toBeCloseTo(20.0085);
    expect(metrics.value(METRIC.serverRequests, labels)).toBe(4);
  });

  it('records methods the HTTP spec does not name as _OTHER, so a client cannot grow the label set', async () => {
    const metrics = await record([
      { ...OK, method: 'BREW' },
      { ...OK, method: 'PROPFIND-X' },
      { ...OK, method: 'PATCH' },
    ]);
    const methods = metrics.find(METRIC.serverRequests).map((sample) => [sample.labels[LABEL.method], sample.value]);
    expect(methods).toEqual([
      ['_OTHER', 2],
      ['PATCH', 1],
    ]);
  });

  it('leaves status labels empty for a client that left before any response', async () => {
    const metrics = await record([{ ...OK, status: 0, errorType: 'client_aborted', upstreamDurationMs: undefined }]);
    expect(metrics.find(METRIC.serverRequests)[0]!.labels).toEqual({
      [LABEL.route]: 'orders',
      [LABEL.method]: 'GET',
      [LABEL.statusCode]: '',
      [LABEL.statusClass]: '',
      [LABEL.errorType]: 'client_aborted',
    });
  });

  it('counts upstream failures by error type, but not a client hanging up nor a request with no route', async () => {
    const metrics = await record([
      { ...OK, status: 504, errorType: 'timeout', upstreamDurationMs: undefined },
      { ...OK, status: 502, errorType: 'connection_refused', upstreamDurationMs: undefined },
      { ...OK, status: 502, errorType: 'connection_refused', upstreamDurationMs: undefined },
      { ...OK, status: 0, errorType: 'client_aborted', upstreamDurationMs: undefined },
      { ...OK, route: undefined, status: 404, errorType: 'route_not_found', upstream: undefined, upstreamDurationMs: undefined },
    ]);
    const errors = metrics.find(METRIC.upstreamErrors).map((sample) => [sample.labels[LABEL.errorType], sample.value]);
    expect(errors).toEqual([
      ['timeout', 1],
      ['connection_refused', 2],
    ]);
    expect(metrics.find(`${METRIC.clientDuration}_count`)).toHaveLength(0);
  });

  it('records the upstream duration per route, upstream, method and status', async () => {
    const metrics = await record([OK, { ...OK, upstream: 'http://127.0.0.1:3002', upstreamDurationMs: 30 }]);
    const client = metrics.find(`${METRIC.clientDuration}_sum`).map((sample) => [sample.labels[LABEL.upstream], sample.value]);
    expect(client).toEqual([
      ['http://127.0.0.1:3001', 0.003],
      ['http://127.0.0.1:3002', 0.03],
    ]);
  });

  it('tracks requests in flight', () => {
    const metrics = createHttpMetrics(new Registry());
    metrics.onHopStart();
    metrics.onHopStart();
    expect(metrics.active()).toBe(2);
    metrics.onHopEnd(OK);
    expect(metrics.active()).toBe(1);
  });
});
