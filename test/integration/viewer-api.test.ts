/**
 * The viewer's own reads, /api/hoptrace/traces and /api/hoptrace/service-map, after known traffic through
 * two chained proxies (helpers/proxy-chain.ts).
 */
import { describe, expect, it } from 'vitest';
import { FAIL_PATH, startChain } from '../helpers/proxy-chain.js';

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
}

describe('viewer API', () => {
  it('summarizes each trace for the list, filters it, and names every problem with a filter', async () => {
    const chain = await startChain();
    const ok = await chain.request('/api/orders/7');
    const failed = await chain.request(FAIL_PATH);
    await chain.flush();
    const list = async (query = ''): Promise<string[]> => {
      const { status, body } = await getJson(`${chain.b.adminUrl}/api/hoptrace/traces${query}`);
      expect(status).toBe(200);
      return (body as { traces: Array<{ traceId: string }> }).traces.map((trace) => trace.traceId);
    };

    const { body } = await getJson(`${chain.b.adminUrl}/api/hoptrace/traces`);
    const all = body as { traces: Array<Record<string, unknown>>; services: string[]; routes: string[]; stored: number };
    expect(all.services).toEqual(['backend', 'frontend']);
    expect(all.routes).toEqual(['orders', 'shop']);
    expect(all.stored).toBe(2);
    expect(all.traces.map((trace) => trace.traceId)).toEqual([failed.traceId, ok.traceId]);
    expect(all.traces[1]).toEqual({
      traceId: ok.traceId,
      timestamp: expect.any(Number),
      duration: expect.any(Number),
      name: 'get /api',
      service: 'frontend',
      method: 'GET',
      path: '/api/orders/7',
      route: 'shop',
      status: 200,
      spanCount: 4,
      errorCount: 0,
      services: ['backend', 'frontend'],
      routes: ['orders', 'shop'],
    });
    expect(all.traces[0]).toMatchObject({ path: FAIL_PATH, status: 503, errorCount: 4 });

    expect(await list('?status=5xx')).toEqual([failed.traceId]);
    expect(await list('?status=200')).toEqual([ok.traceId]);
    expect(await list('?status=4xx')).toEqual([]);
    expect(await list('?errors=true')).toEqual([failed.traceId]);
    expect(await list('?serviceName=Backend&route=orders')).toEqual([failed.traceId, ok.traceId]);
    expect(await list('?route=nowhere')).toEqual([]);
    expect(await list('?minDuration=60000000')).toEqual([]);
    expect(await list('?limit=1')).toEqual([failed.traceId]);

    expect(await getJson(`${chain.b.adminUrl}/api/hoptrace/traces?status=teapot&minDuration=1.5&limit=0`)).toEqual({
      status: 400,
      body: 'status: must be a status code (503) or class (5xx), got "teapot"\nminDuration: must be microseconds (an integer)\nlimit: must be a positive integer\n',
    });
  });

  it('gives the service map its links with latency percentiles, and which services are traced', async () => {
    const chain = await startChain();
    await chain.request('/api/orders/7');
    await chain.request(FAIL_PATH);
    await chain.flush();
    const { status, body } = await getJson(`${chain.b.adminUrl}/api/hoptrace/service-map?endTs=${Date.now()}&lookback=600000`);
    expect(status).toBe(200);
    const map = body as { services: string[]; localServices: string[]; links: Array<Record<string, number | string>> };
    const upstream = `127.0.0.1:${chain.upstream.port}`;
    expect(map.services).toEqual([upstream, 'backend', 'frontend']);
    expect(map.localServices).toEqual(['backend', 'frontend']);
    expect(map.links.map(({ parent, child, callCount, errorCount }) => ({ parent, child, callCount, errorCount }))).toEqual([
      { parent: 'backend', child: upstream, callCount: 2, errorCount: 1 },
      { parent: 'frontend', child: 'backend', callCount: 2, errorCount: 1 },
    ]);
    for (const link of map.links) {
      expect(link.p50).toBeGreaterThan(0);
      expect(link.p95).toBeGreaterThanOrEqual(link.p50 as number);
      expect(link.max).toBe(link.p95); // two calls: the 95th percentile is the slower one
    }
  });
});
