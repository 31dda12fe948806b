import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startUpstream, type ReceivedRequest } from '../helpers/upstream.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-request.js';
import { waitFor } from '../helpers/wait.js';

const W3C = { trace: '4bf92f3577b34da6a3ce929d0e0e4736', span: '00f067aa0ba902b7' };
const B3 = { trace: '80f198ee56343ba864fe8b2a57d3eff7', span: 'e457b5a2e4d86bd1' };
const JAEGER = { trace: 'a3ce929d0e0e4736a3ce929d0e0e4736', span: '05e3ac9a4f6e3b90' };
const ALL_FORMATS = ['tracecontext', 'b3', 'jaeger'];

async function setup(propagation: string[] = ALL_FORMATS, tracing: Record<string, unknown> = {}) {
  const upstream = await startUpstream();
  const proxy = await startProxy({
    tracing: { serviceName: 'edge', propagation, ...tracing },
    routes: [{ name: 'orders', service: 'orders', match: { pathPrefix: '/api' }, upstream: upstream.url }],
  });
  return { upstream, proxy };
}

async function hopSpans(proxy: TestProxy): Promise<{ server: ReadableSpan; client: ReadableSpan }> {
  const spans = await proxy.spans();
  expect(spans).toHaveLength(2);
  const server = spans.find((span) => span.kind === SpanKind.SERVER);
  const client = spans.find((span) => span.kind === SpanKind.CLIENT);
  return { server: server!, client: client! };
}

/** The trace and span id each format names in what the upstream got. */
function idsSeenUpstream(request: ReceivedRequest): Record<string, [string, string]> {
  const h = request.headers;
  const [, tpTrace, tpSpan] = String(h.traceparent).split('-');
  const [b3Trace, b3Span] = String(h.b3).split('-');
  const [uberTrace, uberSpan] = String(h['uber-trace-id']).split(':');
  return {
    traceparent: [tpTrace!, tpSpan!],
    b3: [b3Trace!, b3Span!],
    'x-b3': [String(h['x-b3-traceid']), String(h['x-b3-spanid'])],
    'uber-trace-id': [uberTrace!, uberSpan!],
  };
}

describe('propagation formats', () => {
  const continued: Array<[string, Record<string, string>, { trace: string; span: string }]> = [
    ['a single b3 header', { b3: `${B3.trace}-${B3.span}-1` }, B3],
    ['X-B3-* headers', { 'X-B3-TraceId': B3.trace, 'X-B3-SpanId': B3.span, 'X-B3-Sampled': '1' }, B3],
    ['an uber-trace-id header', { 'uber-trace-id': `${JAEGER.trace}:${JAEGER.span}:0:1` }, JAEGER],
    ['a traceparent header', { traceparent: `00-${W3C.trace}-${W3C.span}-01` }, W3C],
  ];
  it.each(continued)('continues the trace of %s alone and sends every format upstream with the CLIENT span id', async (_what, headers, incoming) => {
    const { upstream, proxy } = await setup();
    const response = await rawRequest(`${proxy.url}/api/orders`, headers);
    expect(response.status).toBe(200);

    const { server, client } = await hopSpans(proxy);
    expect(server.spanContext().traceId).toBe(incoming.trace);
    expect(server.parentSpanContext?.spanId).toBe(incoming.span);
    expect(client.spanContext().traceId).toBe(incoming.trace);
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);

    const clientIds: [string, string] = [incoming.trace, client.spanContext().spanId];
    const [request] = upstream.requests;
    expect(idsSeenUpstream(request!)).toEqual({ traceparent: clientIds, b3: clientIds, 'x-b3': clientIds, 'uber-trace-id': clientIds });
    expect(request!.headers['x-b3-sampled']).toBe('1');
    expect(request!.headers.traceparent).toMatch(/-0[13]$/);
    await waitFor(() => proxy.app.openSockets() === 0, 2_000, 'the proxy to close every client socket');
  });

  const conflicting: Array<[string[], { trace: string; span: string }]> = [
    [['tracecontext', 'b3', 'jaeger'], W3C],
    [['b3', 'jaeger', 'tracecontext'], B3],
    [['jaeger', 'tracecontext', 'b3'], JAEGER],
  ];
  it.each(conflicting)('follows the configured order %j when formats conflict', async (propagation, winner) => {
    const { upstream, proxy } = await setup(propagation);
    await rawRequest(`${proxy.url}/api`, {
      traceparent: `00-${W3C.trace}-${W3C.span}-01`,
      b3: `${B3.trace}-${B3.span}-1`,
      'uber-trace-id': `${JAEGER.trace}:${JAEGER.span}:0:1`,
    });
    const { server, client } = await hopSpans(proxy);
    expect([server.spanContext().traceId, server.parentSpanContext?.spanId]).toEqual([winner.trace, winner.span]);
    const clientIds: [string, string] = [winner.trace, client.spanContext().spanId];
    expect(Object.values(idsSeenUpstream(upstream.requests[0]!))).toEqual([clientIds, clientIds, clientIds, clientIds]);
  });

  it('falls through an invalid first format to the next valid one', async () => {
    const { upstream, proxy } = await setup(['tracecontext', 'b3']);
    await rawRequest(`${proxy.url}/api`, {
      traceparent: `00-${'0'.repeat(32)}-${W3C.span}-01`,
      'x-b3-traceid': B3.trace,
      'x-b3-spanid': B3.span,
      'x-b3-sampled': '1',
    });
    const { server } = await hopSpans(proxy);
    expect(server.spanContext().traceId).toBe(B3.trace);
    expect(upstream.requests[0]!.headers.traceparent).toMatch(new RegExp(`^00-${B3.trace}-[0-9a-f]{16}-01$`));
  });

  it('sends only the configured formats upstream, removing the others', async () => {
    const { upstream, proxy } = await setup(['b3']);
    await rawRequest(`${proxy.url}/api`, {
      b3: `${B3.trace}-${B3.span}-1`,
      'uber-trace-id': `${JAEGER.trace}:${JAEGER.span}:0:1`,
      traceparent: `00-${W3C.trace}-${W3C.span}-01`,
    });
    const { headers } = upstream.requests[0]!;
    expect(headers.b3).toMatch(new RegExp(`^${B3.trace}-[0-9a-f]{16}-1$`));
    expect(headers['x-b3-traceid']).toBe(B3.trace);
    expect(headers.traceparent).toBeUndefined();
    expect(headers['uber-trace-id']).toBeUndefined();
  });

  it('records nothing for a B3 "deny" without ids (b3: 0, or X-B3-Sampled: 0 alone) and says so upstream', async () => {
    for (const deny of [{ b3: '0' }, { 'x-b3-sampled': '0' }]) {
      const { upstream, proxy } = await setup(['b3', 'tracecontext'], { sampleRate: 1 });
      const response = await rawRequest(`${proxy.url}/api`, deny);
      expect(response.status).toBe(200);
      const { headers } = upstream.requests[0]!;
      expect(headers['x-b3-sampled']).toBe('0');
      expect(String(headers.b3)).toMatch(/^[0-9a-f]{32}-[0-9a-f]{16}-0$/);
      // A new trace (hoptrace's ids, flagged random) that is not sampled.
      expect(String(headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
      expect(await proxy.spans()).toHaveLength(0);
    }
  });

  it('lets a valid context of an earlier format win over a B3 deny, and an untrusting route ignore the deny', async () => {
    const first = await setup(['tracecontext', 'b3'], { sampleRate: 1 });
    await rawRequest(`${first.proxy.url}/api`, { traceparent: `00-${W3C.trace}-${W3C.span}-01`, b3: '0' });
    expect((await hopSpans(first.proxy)).server.spanContext().traceId).toBe(W3C.trace);

    const upstream = await startUpstream();
    const proxy = await startProxy({
      tracing: { serviceName: 'edge', propagation: ['b3'], sampleRate: 1 },
      routes: [{ name: 'edge', match: { pathPrefix: '/api' }, upstream: upstream.url, trustIncomingContext: false }],
    });
    await rawRequest(`${proxy.url}/api`, { b3: '0' });
    await hopSpans(proxy);
    expect(upstream.requests[0]!.headers['x-b3-sampled']).toBe('1');
  });

  it('lets the proxy decide for a B3 request that deferred the sampling decision', async () => {
    const { upstream, proxy } = await setup(['b3'], { sampleRate: 1 });
    await rawRequest(`${proxy.url}/api`, { 'x-b3-traceid': B3.trace, 'x-b3-spanid': B3.span });
    const { server } = await hopSpans(proxy);
    expect(server.spanContext().traceId).toBe(B3.trace);
    expect(upstream.requests[0]!.headers['x-b3-sampled']).toBe('1');
  });
});

describe('tracestate and trace flags', () => {
  it('combines several tracestate header lines in order and passes them on', async () => {
    const { upstream, proxy } = await setup(['tracecontext']);
    await rawRequest(`${proxy.url}/api`, { traceparent: `00-${W3C.trace}-${W3C.span}-01`, tracestate: ['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE'] });
    expect(upstream.requests[0]!.headers.tracestate).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('drops an invalid tracestate whole but still continues the traceparent', async () => {
    const { upstream, proxy } = await setup(['tracecontext']);
    await rawRequest(`${proxy.url}/api`, { traceparent: `00-${W3C.trace}-${W3C.span}-01`, tracestate: 'rojo=00f067aa0ba902b7,Congo=t61rcWkgMzE' });
    const { headers } = upstream.requests[0]!;
    expect(headers.traceparent).toMatch(new RegExp(`^00-${W3C.trace}-`));
    expect(headers.tracestate).toBeUndefined();
  });

  it('drops tracestate with an invalid traceparent and starts a new trace marked random', async () => {
    const { upstream, proxy } = await setup(['tracecontext']);
    await rawRequest(`${proxy.url}/api`, { traceparent: `00-${W3C.trace.toUpperCase()}-${W3C.span}-01`, tracestate: 'congo=t61rcWkgMzE' });
    const { server } = await hopSpans(proxy);
    const { headers } = upstream.requests[0]!;
    expect(server.spanContext().traceId).not.toBe(W3C.trace);
    expect(headers.traceparent).toMatch(new RegExp(`^00-${server.spanContext().traceId}-[0-9a-f]{16}-03$`));
    expect(headers.tracestate).toBeUndefined();
  });

  const flags: Array<[string, string]> = [
    ['01', '01'],
    ['03', '03'],
    ['02', '02'],
    ['ff', '03'],
  ];
  it.each(flags)('keeps the random flag: incoming %s goes upstream and back as %s', async (incoming, outgoing) => {
    const { upstream, proxy } = await setup(['tracecontext']);
    const response = await rawRequest(`${proxy.url}/api`, { traceparent: `00-${W3C.trace}-${W3C.span}-${incoming}` });
    expect(upstream.requests[0]!.headers.traceparent).toMatch(new RegExp(`^00-${W3C.trace}-[0-9a-f]{16}-${outgoing}$`));
    expect(response.headers.traceresponse).toMatch(new RegExp(`^00-${W3C.trace}-[0-9a-f]{16}-${outgoing}$`));
  });
});

describe('traceresponse', () => {
  it('names the trace and the exported SERVER span', async () => {
    const { proxy } = await setup();
    const response = await rawRequest(`${proxy.url}/api`, { b3: `${B3.trace}-${B3.span}-1` });
    const { server } = await hopSpans(proxy);
    // A B3 trace id makes no randomness claim, so only the sampled flag is set.
    expect(response.headers.traceresponse).toBe(`00-${B3.trace}-${server.spanContext().spanId}-01`);
  });

  it('names a new trace with its random flag, for an unmatched request too', async () => {
    const { proxy } = await setup();
    const response = await rawRequest(`${proxy.url}/nothing-here`);
    expect(response.status).toBe(404);
    const spans = await proxy.spans();
    expect(spans).toHaveLength(1);
    expect(response.headers.traceresponse).toBe(`00-${spans[0]!.spanContext().traceId}-${spans[0]!.spanContext().spanId}-03`);
  });

  it('reports an unsampled request as not sampled, recording nothing', async () => {
    const { upstream, proxy } = await setup(['tracecontext']);
    const response = await rawRequest(`${proxy.url}/api`, { traceparent: `00-${W3C.trace}-${W3C.span}-00` });
    expect(response.headers.traceresponse).toMatch(new RegExp(`^00-${W3C.trace}-[0-9a-f]{16}-00$`));
    expect(upstream.requests[0]!.headers.traceparent).toMatch(new RegExp(`^00-${W3C.trace}-[0-9a-f]{16}-00$`));
    expect(await proxy.spans()).toHaveLength(0);
  });

  it('is left out when tracing.traceResponse is false, so the upstream one is passed on', async () => {
    const upstream = await startUpstream((_req, res) => res.writeHead(200, { traceresponse: `00-${W3C.trace}-${W3C.span}-01` }).end('ok'));
    const proxy = await startProxy({ tracing: { traceResponse: false }, routes: [{ name: 'r', upstream: upstream.url }] });
    const response = await rawRequest(`${proxy.url}/`);
    expect(response.headers.traceresponse).toBe(`00-${W3C.trace}-${W3C.span}-01`);
  });
});
