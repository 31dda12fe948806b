import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { startUpstream } from '../helpers/upstream.js';
import { startProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-request.js';
import { waitFor } from '../helpers/wait.js';
import { ATTR_HOPTRACE_ROUTE } from '../../src/tracing/attributes.js';

const INCOMING = { trace: '4bf92f3577b34da6a3ce929d0e0e4736', span: '00f067aa0ba902b7' };

async function setup(tracing: Record<string, unknown>, routes: Array<Record<string, unknown>>) {
  const upstream = await startUpstream();
  const proxy = await startProxy({ tracing, routes: routes.map((route) => ({ upstream: upstream.url, ...route })) });
  return { upstream, proxy };
}

describe('untrusted incoming context', () => {
  it('starts a new trace at an untrusted route, links the incoming one, and sends the new trace upstream', async () => {
    const { upstream, proxy } = await setup({ propagation: ['tracecontext', 'b3'] }, [
      { name: 'edge', match: { pathPrefix: '/public' }, trustIncomingContext: false },
      { name: 'internal', match: { pathPrefix: '/internal' } },
    ]);
    // The caller says "not sampled" and brings vendor state; neither is obeyed at the edge.
    const response = await rawRequest(`${proxy.url}/public/x`, { traceparent: `00-${INCOMING.trace}-${INCOMING.span}-00`, tracestate: 'congo=t61rcWkgMzE' });
    expect(response.status).toBe(200);

    const spans = await proxy.spans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const client = spans.find((span) => span.kind === SpanKind.CLIENT)!;
    const traceId = server.spanContext().traceId;
    expect(traceId).not.toBe(INCOMING.trace);
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[INCOMING.trace, INCOMING.span]]);
    expect(client.links).toEqual([]);

    const { headers } = upstream.requests[0]!;
    expect(headers.traceparent).toBe(`00-${traceId}-${client.spanContext().spanId}-03`);
    expect(headers.b3).toBe(`${traceId}-${client.spanContext().spanId}-1`);
    expect(headers.tracestate).toBeUndefined();
    expect(response.headers.traceresponse).toBe(`00-${traceId}-${server.spanContext().spanId}-03`);
    await waitFor(() => proxy.app.openSockets() === 0, 2_000, 'the proxy to close every client socket');
  });

  it('does not let an untrusted caller force sampling', async () => {
    const { upstream, proxy } = await setup({ sampleRate: 0, trustIncomingContext: false }, [{ name: 'edge' }]);
    await rawRequest(`${proxy.url}/`, { traceparent: `00-${INCOMING.trace}-${INCOMING.span}-01` });
    expect(await proxy.spans()).toHaveLength(0);
    const traceparent = String(upstream.requests[0]!.headers.traceparent);
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    expect(traceparent).not.toContain(INCOMING.trace);
  });

  it('applies tracing.trustIncomingContext to routes without their own setting and to unmatched requests', async () => {
    const { upstream, proxy } = await setup({ trustIncomingContext: false, propagation: ['b3'] }, [
      { name: 'edge', match: { pathPrefix: '/edge' } },
      { name: 'trusted', match: { pathPrefix: '/trusted' }, trustIncomingContext: true },
    ]);
    const b3 = `${INCOMING.trace}-${INCOMING.span}-1`;
    await rawRequest(`${proxy.url}/edge`, { b3 });
    await rawRequest(`${proxy.url}/trusted`, { b3 });
    const unmatched = await rawRequest(`${proxy.url}/elsewhere`, { b3 });
    expect(unmatched.status).toBe(404);

    const [edgeTrace, trustedTrace] = upstream.requests.map((request) => String(request.headers.b3).split('-')[0]);
    expect(edgeTrace).not.toBe(INCOMING.trace);
    expect(trustedTrace).toBe(INCOMING.trace);
    const servers = (await proxy.spans()).filter((span) => span.kind === SpanKind.SERVER);
    const linked = servers.filter((span) => span.links.length === 1 && span.links[0]!.context.traceId === INCOMING.trace);
    expect(linked.map((span) => span.attributes[ATTR_HOPTRACE_ROUTE] ?? 'none').sort()).toEqual(['edge', 'none']);
    expect(unmatched.headers.traceresponse).not.toContain(INCOMING.trace);
  });

  it('records no link when the untrusted request carries no context', async () => {
    const { proxy } = await setup({ trustIncomingContext: false }, [{ name: 'edge' }]);
    await rawRequest(`${proxy.url}/`, { traceparent: 'garbage' });
    const server = (await proxy.spans()).find((span) => span.kind === SpanKind.SERVER)!;
    expect(server.links).toEqual([]);
  });
});
