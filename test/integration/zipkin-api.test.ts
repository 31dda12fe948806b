/**
 * The Zipkin v2 API of the admin port, after known traffic through real proxies: two hoptrace apps in a
 * chain (A's upstream is B, B's upstream is a real server; A exports its spans to B's POST /api/v2/spans),
 * so B's store holds one joined trace per request (see helpers/proxy-chain.ts).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { toZipkinSpan, type ZipkinSpan } from '../../src/export/zipkin-model.js';
import { normalizeSpan } from '../../src/export/zipkin-normalize.js';
import { startProxy } from '../helpers/proxy.js';
import { FAIL_PATH, startChain as startProxyChain, type ProxyChain } from '../helpers/proxy-chain.js';

interface Chain extends ProxyChain {
  okTrace: string;
  failedTrace: string;
  okStartedAt: number;
}

/** The chain after two requests through it: one answered 200, then one answered 503. */
async function startChain(): Promise<Chain> {
  const chain = await startProxyChain();
  const okStartedAt = Date.now();
  const ok = await chain.request('/api/orders/7');
  const failed = await chain.request(FAIL_PATH);
  expect([ok.status, failed.status]).toEqual([200, 503]);
  await chain.flush();
  return { ...chain, okTrace: ok.traceId, failedTrace: failed.traceId, okStartedAt };
}

async function get(base: string, path: string): Promise<{ status: number; type: string; body: string; json: () => unknown }> {
  const response = await fetch(`${base}${path}`);
  const body = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', body, json: () => JSON.parse(body) };
}

async function getJson(base: string, path: string): Promise<unknown> {
  const response = await get(base, path);
  expect(response.status, `${path}: ${response.body}`).toBe(200);
  expect(response.type).toMatch(/^application\/json/);
  return response.json();
}

/** What the store must hold for these OTel spans: Zipkin v2 JSON, normalized as Zipkin does. */
function expected(spans: readonly ReadableSpan[]): ZipkinSpan[] {
  return spans.map((span) => normalizeSpan(toZipkinSpan(span)));
}

function byKindAndService(spans: readonly ZipkinSpan[], kind: string, service: string): ZipkinSpan {
  const found = spans.filter((span) => span.kind === kind && span.localEndpoint?.serviceName === service);
  expect(found, `${kind} span of ${service}`).toHaveLength(1);
  return found[0]!;
}

function sortById(spans: readonly ZipkinSpan[]): ZipkinSpan[] {
  return [...spans].sort((x, y) => (x.id < y.id ? -1 : 1));
}

describe('Zipkin v2 query API', () => {
  it('joins the spans of two chained proxies into one trace with the right parent ids', async () => {
    const { a, b, okTrace } = await startChain();
    const trace = (await getJson(b.adminUrl, `/api/v2/trace/${okTrace}`)) as ZipkinSpan[];
    expect(trace).toHaveLength(4);
    const aServer = byKindAndService(trace, 'SERVER', 'frontend');
    const aClient = byKindAndService(trace, 'CLIENT', 'frontend');
    const bServer = byKindAndService(trace, 'SERVER', 'backend');
    const bClient = byKindAndService(trace, 'CLIENT', 'backend');
    for (const span of trace) expect(span.traceId).toBe(okTrace);
    expect(aServer.parentId).toBeUndefined();
    expect(aClient.parentId).toBe(aServer.id);
    expect(bServer.parentId).toBe(aClient.id);
    expect(bClient.parentId).toBe(bServer.id);

    // Field by field: exactly the Zipkin JSON of the spans both apps recorded, names lower-cased.
    const recorded = [...(await a.spans()), ...(await b.spans())].filter((span) => span.spanContext().traceId === okTrace);
    expect(sortById(trace)).toEqual(sortById(expected(recorded)));
    expect(aServer).toMatchObject({ name: 'get /api', localEndpoint: { serviceName: 'frontend' } });
    expect(aClient.remoteEndpoint).toEqual({ serviceName: 'backend', ipv4: '127.0.0.1', port: Number(new URL(b.url).port) });
    expect(aServer.tags).toMatchObject({ 'http.request.method': 'GET', 'url.path': '/api/orders/7', 'http.response.status_code': '200' });
    expect(bServer.tags).toMatchObject({ 'url.path': '/api/orders/7', 'hoptrace.route': 'orders' });
    expect(aServer.tags?.error).toBeUndefined();
  });

  it('answers /services, /spans and /remoteServices with sorted lower-case names', async () => {
    const { a, b, upstream } = await startChain();
    expect(await getJson(b.adminUrl, '/api/v2/services')).toEqual(['backend', 'frontend']);
    expect(await getJson(a.adminUrl, '/api/v2/services')).toEqual(['frontend']);
    expect(await getJson(b.adminUrl, '/api/v2/spans?serviceName=frontend')).toEqual(['get /api']);
    expect(await getJson(b.adminUrl, '/api/v2/spans?serviceName=Backend')).toEqual(['get /api']);
    expect(await getJson(b.adminUrl, '/api/v2/spans?serviceName=nobody')).toEqual([]);
    expect(await getJson(b.adminUrl, '/api/v2/remoteServices?serviceName=frontend')).toEqual(['backend']);
    expect(await getJson(b.adminUrl, '/api/v2/remoteServices?serviceName=backend')).toEqual([`127.0.0.1:${upstream.port}`]);
    for (const path of ['/api/v2/spans', '/api/v2/remoteServices']) {
      const missing = await get(b.adminUrl, path);
      expect([missing.status, missing.body]).toEqual([400, 'serviceName is required\n']);
    }
  });

  it('answers /traces as a list of traces, newest first, filtered the way Zipkin filters', async () => {
    const { b, okTrace, failedTrace, okStartedAt } = await startChain();
    const ids = async (query: string): Promise<string[]> =>
      ((await getJson(b.adminUrl, `/api/v2/traces${query}`)) as ZipkinSpan[][]).map((trace) => {
        expect(new Set(trace.map((span) => span.traceId)).size).toBe(1);
        return trace[0]!.traceId;
      });

    const all = (await getJson(b.adminUrl, '/api/v2/traces')) as ZipkinSpan[][];
    expect(all.map((trace) => trace.length)).toEqual([4, 4]);
    expect(all.map((trace) => trace[0]!.traceId)).toEqual([failedTrace, okTrace]);
    expect(await ids('?serviceName=Frontend&limit=10')).toEqual([failedTrace, okTrace]);
    expect(await ids('?limit=1')).toEqual([failedTrace]);
    expect(await ids('?serviceName=nobody')).toEqual([]);
    expect(await ids('?annotationQuery=error')).toEqual([failedTrace]);
    expect(await ids(`?annotationQuery=${encodeURIComponent('http.response.status_code=503 and error')}`)).toEqual([failedTrace]);
    expect(await ids(`?annotationQuery=${encodeURIComponent('url.path=/api/orders/7')}`)).toEqual([okTrace]);
    expect(await ids(`?serviceName=frontend&annotationQuery=${encodeURIComponent('hoptrace.route=orders')}`)).toEqual([]);
    expect(await ids(`?serviceName=backend&annotationQuery=${encodeURIComponent('hoptrace.route=orders')}`)).toEqual([failedTrace, okTrace]);
    expect(await ids('?spanName=GET%20/api')).toEqual([failedTrace, okTrace]);
    expect(await ids('?spanName=post%20/api')).toEqual([]);
    expect(await ids('?spanName=all')).toEqual([failedTrace, okTrace]);
    expect(await ids('?serviceName=frontend&remoteServiceName=backend')).toEqual([failedTrace, okTrace]);
    expect(await ids('?serviceName=backend&remoteServiceName=backend')).toEqual([]);
    expect(await ids('?minDuration=1')).toEqual([failedTrace, okTrace]);
    expect(await ids('?minDuration=600000000')).toEqual([]);
    expect(await ids('?minDuration=1&maxDuration=600000000')).toEqual([failedTrace, okTrace]);
    // endTs/lookback are milliseconds and bound the trace's (root span's) timestamp.
    expect(await ids(`?endTs=${okStartedAt - 60_000}`)).toEqual([]);
    expect(await ids(`?endTs=${Date.now()}&lookback=600000`)).toEqual([failedTrace, okTrace]);
    expect(await ids(`?endTs=${okStartedAt - 5_000}&lookback=1000`)).toEqual([]);

    const bad = await get(b.adminUrl, '/api/v2/traces?limit=0&maxDuration=5&endTs=soon');
    expect(bad.status).toBe(400);
    expect(bad.body.trimEnd().split('\n')).toEqual([
      'endTs: must be an integer, got "soon"',
      'limit <= 0',
      'maxDuration is only valid with minDuration',
    ]);
  });

  it('answers /trace/{id} with 404 for an unknown trace and 400 for a malformed id', async () => {
    const { b, okTrace, failedTrace } = await startChain();
    const unknown = await get(b.adminUrl, '/api/v2/trace/0af7651916cd43dd8448eb211c80319c');
    expect([unknown.status, unknown.body]).toEqual([404, '0af7651916cd43dd8448eb211c80319c not found\n']);
    const malformed = await get(b.adminUrl, '/api/v2/trace/not-hex');
    expect([malformed.status, malformed.body]).toEqual([400, 'traceId: "not-hex" is not 1 to 32 hex characters\n']);
    const upper = (await getJson(b.adminUrl, `/api/v2/trace/${okTrace.toUpperCase()}`)) as ZipkinSpan[];
    expect(upper).toHaveLength(4);

    const many = (await getJson(b.adminUrl, `/api/v2/traceMany?traceIds=${okTrace},${failedTrace},0af7651916cd43dd8448eb211c80319c`)) as ZipkinSpan[][];
    expect(many.map((trace) => trace[0]!.traceId).sort()).toEqual([okTrace, failedTrace].sort());
    const single = await get(b.adminUrl, `/api/v2/traceMany?traceIds=${okTrace}`);
    expect([single.status, single.body]).toEqual([400, 'Use /api/v2/trace/{traceId} endpoint to retrieve a single trace\n']);
  });

  it('derives /dependencies links with call and error counts, the way Zipkin links spans', async () => {
    const { a, b, upstream } = await startChain();
    const now = Date.now();
    // In B's store the A→B call is counted once, by B's SERVER span (A's CLIENT span has a child there).
    expect(await getJson(b.adminUrl, `/api/v2/dependencies?endTs=${now}&lookback=600000`)).toEqual([
      { parent: 'backend', child: `127.0.0.1:${upstream.port}`, callCount: 2, errorCount: 1 },
      { parent: 'frontend', child: 'backend', callCount: 2, errorCount: 1 },
    ]);
    // In A's store, A's CLIENT span is a leaf: its remote endpoint names the untraced upstream.
    expect(await getJson(a.adminUrl, `/api/v2/dependencies?endTs=${now}`)).toEqual([
      { parent: 'frontend', child: 'backend', callCount: 2, errorCount: 1 },
    ]);
    expect(await getJson(b.adminUrl, `/api/v2/dependencies?endTs=${now - 3_600_000}&lookback=60000`)).toEqual([]);
  });
});

describe('POST /api/v2/spans', () => {
  const traceId = '4e441824ec2b6a44ffdc9bb9a6453df3';

  async function post(base: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) {
    const response = await fetch(`${base}/api/v2/spans`, { method: 'POST', body, headers });
    return { status: response.status, body: await response.text() };
  }

  it('accepts Zipkin v2 JSON, gzip-encoded or not, and stores it the way Zipkin does', async () => {
    const { adminUrl, app } = await startProxy({ routes: [{ name: 'r', match: { pathPrefix: '/' }, upstream: 'http://127.0.0.1:9' }] });
    const spans = [
      {
        traceId,
        id: 'ffdc9bb9a6453df3',
        name: 'GET /Orders',
        kind: 'SERVER',
        timestamp: 1_700_000_000_000_000,
        duration: 2_500,
        localEndpoint: { serviceName: 'Checkout', ipv4: '10.0.0.1', port: 8080 },
        remoteEndpoint: { serviceName: '', port: 0 },
        annotations: [{ timestamp: 1_700_000_000_001_000, value: 'ws' }],
        tags: { 'http.method': 'GET', error: 'boom' },
        somethingElse: { ignored: true },
      },
    ];
    expect(await post(adminUrl, JSON.stringify(spans))).toEqual({ status: 202, body: '' });
    const child = [{ traceId, id: '0000000000000abc', parentId: 'ffdc9bb9a6453df3', localEndpoint: { serviceName: 'checkout' } }];
    expect(await post(adminUrl, gzipSync(JSON.stringify(child)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toEqual({
      status: 202,
      body: '',
    });
    expect(await post(adminUrl, '[]', {})).toEqual({ status: 202, body: '' });

    const stored = (await (await fetch(`${adminUrl}/api/v2/trace/${traceId}`)).json()) as ZipkinSpan[];
    expect(stored).toEqual([
      {
        traceId,
        id: 'ffdc9bb9a6453df3',
        name: 'get /orders',
        kind: 'SERVER',
        timestamp: 1_700_000_000_000_000,
        duration: 2_500,
        localEndpoint: { serviceName: 'checkout', ipv4: '10.0.0.1', port: 8080 },
        annotations: [{ timestamp: 1_700_000_000_001_000, value: 'ws' }],
        tags: { 'http.method': 'GET', error: 'boom' },
      },
      { traceId, id: '0000000000000abc', parentId: 'ffdc9bb9a6453df3', localEndpoint: { serviceName: 'checkout' } },
    ]);
    expect(await (await fetch(`${adminUrl}/api/v2/services`)).json()).toEqual(['checkout']);
    expect(app.store.stats()).toMatchObject({ traces: 1, spans: 2 });
  });

  it('refuses bad input with 400 naming each problem, and stores nothing of that batch', async () => {
    const { adminUrl, app } = await startProxy({ routes: [{ name: 'r', match: { pathPrefix: '/' }, upstream: 'http://127.0.0.1:9' }] });
    const notJson = await post(adminUrl, '[{"traceId": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatch(/^body is not valid JSON: .+\n$/);

    expect(await post(adminUrl, '{"traceId": "a"}')).toEqual({ status: 400, body: 'spans: must be a JSON array of Zipkin v2 spans\n' });

    const bad = await post(
      adminUrl,
      JSON.stringify([
        { traceId, id: 'ffdc9bb9a6453df3' },
        { traceId: 'XYZ', id: '1' },
        { id: 'ffdc9bb9a6453df3' },
        { traceId, id: '0000000000000000', kind: 'SIDEWAYS', timestamp: 1.5, tags: { retries: 2 }, localEndpoint: { port: 70000 } },
      ]),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.trimEnd().split('\n')).toEqual([
      'spans[1].traceId: must be 16 or 32 lower-hex characters, not all zeros',
      'spans[1].id: must be 16 lower-hex characters, not all zeros',
      'spans[2].traceId: is required',
      'spans[3].id: must be 16 lower-hex characters, not all zeros',
      'spans[3].kind: must be one of "CLIENT", "SERVER", "PRODUCER", "CONSUMER"',
      'spans[3].timestamp: must be epoch microseconds (an integer)',
      'spans[3].localEndpoint.port: must be <= 65535',
      'spans[3].tags.retries: must be string',
    ]);
    expect(app.store.stats()).toMatchObject({ traces: 0, spans: 0 });

    expect(await post(adminUrl, '[]', { 'content-type': 'application/x-protobuf' })).toEqual({
      status: 415,
      body: 'content-type application/x-protobuf is not supported; send Zipkin v2 JSON as application/json\n',
    });
    expect(await post(adminUrl, '[]', { 'content-type': 'application/json', 'content-encoding': 'br' })).toEqual({
      status: 415,
      body: 'content-encoding br is not supported; send gzip or none\n',
    });
    expect(await post(adminUrl, Buffer.from('not gzip'), { 'content-encoding': 'gzip' })).toEqual({
      status: 400,
      body: 'body could not be read: incorrect header check\n',
    });
  });

  it('answers 413 past the body cap, for plain and for gzip bodies that grow past it', async () => {
    const { adminUrl, app } = await startProxy({ routes: [{ name: 'r', match: { pathPrefix: '/' }, upstream: 'http://127.0.0.1:9' }] });
    const huge = `[${'"x",'.repeat(1_100_000)}"x"]`; // ~4.4 MB, over the 4 MiB cap
    expect(await post(adminUrl, huge)).toEqual({ status: 413, body: 'body is larger than 4194304 bytes\n' });
    expect(await post(adminUrl, gzipSync(huge), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toEqual({
      status: 413,
      body: 'body is larger than 4194304 bytes\n',
    });
    // The connection survives: the next request on it is answered.
    expect(await post(adminUrl, '[]')).toEqual({ status: 202, body: '' });
    expect(app.store.stats().spans).toBe(0);
  });
});
