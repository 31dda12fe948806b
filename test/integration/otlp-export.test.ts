import { describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { startProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-request.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';
import { OTLP_SPAN_KIND_CLIENT, OTLP_SPAN_KIND_SERVER, startOtlpReceiver, type ReceivedOtlpSpan } from '../helpers/otlp-receiver.js';
import {
  ATTR_HOPTRACE_ROUTE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_PEER_SERVICE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
} from '../../src/tracing/attributes.js';

const INCOMING = { trace: '4bf92f3577b34da6a3ce929d0e0e4736', span: '00f067aa0ba902b7' };

function byKind(spans: ReceivedOtlpSpan[], service: string): { server: ReceivedOtlpSpan; client: ReceivedOtlpSpan } {
  const mine = spans.filter((span) => span.resource[ATTR_SERVICE_NAME] === service);
  expect(mine).toHaveLength(2);
  return { server: mine.find((span) => span.kind === OTLP_SPAN_KIND_SERVER)!, client: mine.find((span) => span.kind === OTLP_SPAN_KIND_CLIENT)! };
}

describe('otlp exporter', () => {
  it('sends each route service as its own resource, with the spans, attributes and links, beside zipkin', async () => {
    const receiver = await startOtlpReceiver();
    const zipkin = await startZipkinReceiver();
    const upstream = await startUpstream();
    const proxy = await startProxy({
      tracing: {
        serviceName: 'edge',
        exporters: [
          { type: 'otlp', endpoint: receiver.endpoint, headers: { 'x-api-key': 'secret' } },
          { type: 'zipkin', endpoint: zipkin.endpoint },
        ],
      },
      routes: [
        { name: 'orders', service: 'orders', peerService: 'orders-db', match: { pathPrefix: '/orders' }, upstream: upstream.url },
        { name: 'billing', service: 'billing', match: { pathPrefix: '/billing' }, upstream: upstream.url, trustIncomingContext: false },
      ],
    });

    await rawRequest(`${proxy.url}/orders/42`, { traceparent: `00-${INCOMING.trace}-${INCOMING.span}-01` });
    await rawRequest(`${proxy.url}/billing`, { traceparent: `00-${INCOMING.trace}-${INCOMING.span}-01` });
    await proxy.app.flush();
    const spans = await receiver.waitForSpans(4);
    expect(spans).toHaveLength(4);

    const orders = byKind(spans, 'orders');
    expect(orders.server).toMatchObject({ traceId: INCOMING.trace, parentSpanId: INCOMING.span, name: 'GET /orders', links: [] });
    expect(orders.server.attributes).toMatchObject({
      [ATTR_HTTP_REQUEST_METHOD]: 'GET',
      [ATTR_URL_PATH]: '/orders/42',
      [ATTR_HTTP_ROUTE]: '/orders',
      [ATTR_HOPTRACE_ROUTE]: 'orders',
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
    });
    expect(orders.client).toMatchObject({ traceId: INCOMING.trace, parentSpanId: orders.server.spanId });
    expect(orders.client.attributes).toMatchObject({
      [ATTR_SERVER_ADDRESS]: '127.0.0.1',
      [ATTR_SERVER_PORT]: upstream.port,
      [ATTR_PEER_SERVICE]: 'orders-db',
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
    });

    const billing = byKind(spans, 'billing');
    expect(billing.server.traceId).not.toBe(INCOMING.trace);
    expect(billing.server.parentSpanId).toBeUndefined();
    expect(billing.server.links).toEqual([{ traceId: INCOMING.trace, spanId: INCOMING.span }]);

    expect(receiver.requestHeaders.every((headers) => headers['x-api-key'] === 'secret')).toBe(true);
    expect((await zipkin.waitForSpans(4)).map((span) => span.localEndpoint?.serviceName).sort()).toEqual(['billing', 'billing', 'orders', 'orders']);
    expect(proxy.app.exportStats().find((stats) => stats.name === 'otlp[0]')).toMatchObject({ exported: 4, dropped: 0 });
  });

  it('takes its endpoint from OTEL_EXPORTER_OTLP_ENDPOINT over the file, and the service from OTEL_SERVICE_NAME', async () => {
    const receiver = await startOtlpReceiver();
    const upstream = await startUpstream();
    const proxy = await startProxy(
      {
        tracing: { serviceName: 'from-file', exporters: [{ type: 'otlp', endpoint: 'http://127.0.0.1:1/v1/traces' }] },
        routes: [{ name: 'all', upstream: upstream.url }],
      },
      {},
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.baseUrl, OTEL_SERVICE_NAME: 'from-env' },
    );
    await rawRequest(`${proxy.url}/`);
    await proxy.app.flush();
    const spans = await receiver.waitForSpans(2);
    expect(spans.map((span) => span.resource[ATTR_SERVICE_NAME])).toEqual(['from-env', 'from-env']);
  });

  it('counts the spans as dropped when the collector rejects them, and keeps proxying', async () => {
    const receiver = await startOtlpReceiver(400);
    const upstream = await startUpstream();
    const proxy = await startProxy({
      tracing: { exporters: [{ type: 'otlp', endpoint: receiver.endpoint }] },
      routes: [{ name: 'all', upstream: upstream.url }],
    });
    expect((await rawRequest(`${proxy.url}/`)).status).toBe(200);
    await proxy.app.flush();
    expect(receiver.requestHeaders).toHaveLength(1);
    expect(proxy.app.exportStats().find((stats) => stats.name === 'otlp[0]')).toMatchObject({ exported: 0, dropped: 2, failedExports: 1 });
  });
});
