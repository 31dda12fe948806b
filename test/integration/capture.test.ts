import http from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ATTR_HTTP_REQUEST_HEADER, ATTR_HTTP_RESPONSE_HEADER, ATTR_URL_FULL, ATTR_URL_QUERY } from '../../src/tracing/attributes.js';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';

function get(url: string, headers: Record<string, string | string[]> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

const byKind = (spans: ReadableSpan[], kind: SpanKind): ReadableSpan => spans.find((span) => span.kind === kind)!;

describe('capture policy', () => {
  it('records listed headers as string arrays on both spans and never the credential headers, even when listed', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'x-cache': 'HIT', 'set-cookie': ['sid=upstream-session'], 'x-other': 'no' });
      res.end('ok');
    });
    const proxy = await startProxy({
      routes: [
        {
          name: 'api',
          upstream: upstream.url,
          capture: {
            requestHeaders: ['X-Tenant', 'Authorization', 'cookie', 'proxy-authorization'],
            responseHeaders: ['x-cache', 'Set-Cookie'],
          },
        },
      ],
    });

    await get(`${proxy.url}/api`, {
      'x-tenant': 'acme',
      authorization: 'Bearer client-token',
      cookie: 'session=client-cookie',
      'proxy-authorization': 'Basic cHJveHk=',
      'x-not-listed': 'quiet',
    });

    const spans = await proxy.spans();
    for (const span of [byKind(spans, SpanKind.SERVER), byKind(spans, SpanKind.CLIENT)]) {
      const captured = Object.entries(span.attributes).filter(([key]) => key.startsWith('http.request.header.') || key.startsWith('http.response.header.'));
      expect(Object.fromEntries(captured)).toEqual({
        [ATTR_HTTP_REQUEST_HEADER('x-tenant')]: ['acme'],
        [ATTR_HTTP_RESPONSE_HEADER('x-cache')]: ['HIT'],
      });
    }
  });

  it('keeps listed query values and writes REDACTED for every other value, keeping the names', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'api', upstream: upstream.url, capture: { queryParams: ['page'] } }] });

    await get(`${proxy.url}/api/items?page=2&token=abc123&flag&empty=&page=3`);

    const spans = await proxy.spans();
    expect(byKind(spans, SpanKind.SERVER).attributes[ATTR_URL_QUERY]).toBe('page=2&token=REDACTED&flag&empty=&page=3');
    expect(byKind(spans, SpanKind.CLIENT).attributes[ATTR_URL_FULL]).toBe(
      `${upstream.url}/api/items?page=2&token=REDACTED&flag&empty=&page=3`,
    );
    // The upstream itself gets the query untouched: redaction is for what is recorded only.
    expect(upstream.requests[0]!.url).toBe('/api/items?page=2&token=abc123&flag&empty=&page=3');
  });

  it('redacts every query value of a request that matches no route', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'api', match: { pathPrefix: '/api' }, upstream: upstream.url, capture: { queryParams: ['page'] } }] });

    expect(await get(`${proxy.url}/elsewhere?page=2&key=k`)).toBe(404);

    const spans = await proxy.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes[ATTR_URL_QUERY]).toBe('page=REDACTED&key=REDACTED');
  });

  it('caps a captured value at 1024 characters and a span at 64 attributes', async () => {
    const upstream = await startUpstream();
    const names = Array.from({ length: 70 }, (_, i) => `x-h${i}`);
    const proxy = await startProxy({ routes: [{ name: 'api', upstream: upstream.url, capture: { requestHeaders: ['x-long', ...names] } }] });
    const headers: Record<string, string> = { 'x-long': 'v'.repeat(5000) };
    for (const name of names) headers[name] = 'x';

    expect(await get(`${proxy.url}/api`, headers)).toBe(200);

    const server = byKind(await proxy.spans(), SpanKind.SERVER);
    expect(server.attributes[ATTR_HTTP_REQUEST_HEADER('x-long')]).toEqual(['v'.repeat(1024)]);
    expect(Object.keys(server.attributes)).toHaveLength(64);
    expect(server.droppedAttributesCount).toBeGreaterThan(0);
  });
});
