/**
 * W3C Trace Context through the proxy (SPEC §3): what the upstream receives and what is exported to a
 * real Zipkin receiver, for continued, new, invalid and unsampled traces.
 */
import { describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';
import { startProxy } from '../helpers/proxy.js';
import type { ZipkinSpan } from '../../src/export/zipkin-model.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
// Flags: sampled (01) and, Level 2, random trace id (02), which a trace hoptrace starts carries.
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[0-3])$/;

async function setup() {
  const upstream = await startUpstream();
  const zipkin = await startZipkinReceiver();
  const proxy = await startProxy({
    tracing: { serviceName: 'edge', exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }] },
    routes: [{ name: 'orders', service: 'orders', match: { pathPrefix: '/api' }, upstream: upstream.url }],
  });
  return { upstream, zipkin, proxy };
}

function byKind(spans: ZipkinSpan[]) {
  const server = spans.find((span) => span.kind === 'SERVER');
  const client = spans.find((span) => span.kind === 'CLIENT');
  if (server === undefined || client === undefined) throw new Error(`expected a SERVER and a CLIENT span, got ${JSON.stringify(spans)}`);
  return { server, client };
}

describe('trace context propagation', () => {
  it('continues a valid traceparent with a new client span id', async () => {
    const { upstream, zipkin, proxy } = await setup();
    const res = await fetch(`${proxy.url}/api/orders`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
    });
    expect(res.status).toBe(200);
    const { server, client } = byKind(await zipkin.waitForSpans(2));

    const sent = TRACEPARENT_RE.exec(String(upstream.requests[0]!.headers.traceparent));
    expect(sent).not.toBeNull();
    expect(sent![1]).toBe(TRACE_ID);
    expect(sent![2]).toBe(client.id);
    expect(sent![3]).toBe('01');
    expect(upstream.requests[0]!.headers.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');

    expect(server).toMatchObject({ traceId: TRACE_ID, parentId: PARENT_ID, kind: 'SERVER', localEndpoint: { serviceName: 'orders' } });
    expect(client).toMatchObject({ traceId: TRACE_ID, parentId: server.id, kind: 'CLIENT', localEndpoint: { serviceName: 'orders' } });
    expect(client.id).not.toBe(server.id);
    expect(res.headers.get('traceresponse')).toBe(`00-${TRACE_ID}-${server.id}-01`);
  });

  it('starts a new trace when no traceparent arrives', async () => {
    const { upstream, zipkin, proxy } = await setup();
    const res = await fetch(`${proxy.url}/api/orders`);
    const { server, client } = byKind(await zipkin.waitForSpans(2));
    expect(server.parentId).toBeUndefined();
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.traceId).toBe(server.traceId);
    expect(upstream.requests[0]!.headers.traceparent).toBe(`00-${server.traceId}-${client.id}-03`);
    expect(res.headers.get('traceresponse')).toBe(`00-${server.traceId}-${server.id}-03`);
  });

  // The invalid forms of W3C Trace Context Level 1 §3.2: each starts a new trace and discards tracestate.
  const invalid: Array<[string, string]> = [
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['all-zero trace id', `00-00000000000000000000000000000000-${PARENT_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-0000000000000000-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['short parent id', `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
    ['non-hex flags', `00-${TRACE_ID}-${PARENT_ID}-0g`],
    ['version 00 with extra fields', `00-${TRACE_ID}-${PARENT_ID}-01-extra`],
    ['wrong delimiter', `00_${TRACE_ID}_${PARENT_ID}_01`],
    ['garbage', 'not a traceparent'],
  ];
  it.each(invalid)('restarts the trace and drops tracestate for an invalid traceparent (%s)', async (_name, traceparent) => {
    const { upstream, zipkin, proxy } = await setup();
    await fetch(`${proxy.url}/api/x`, { headers: { traceparent, tracestate: 'congo=t61rcWkgMzE' } });
    const { server, client } = byKind(await zipkin.waitForSpans(2));
    expect(server.traceId).not.toBe(TRACE_ID);
    expect(server.parentId).toBeUndefined();
    const received = upstream.requests[0]!.headers;
    expect(received.traceparent).toBe(`00-${server.traceId}-${client.id}-03`);
    expect(received.tracestate).toBeUndefined();
  });

  it('accepts a future version with extra fields, reading only the version 00 fields', async () => {
    const { upstream, zipkin, proxy } = await setup();
    await fetch(`${proxy.url}/api/x`, { headers: { traceparent: `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds` } });
    const { server, client } = byKind(await zipkin.waitForSpans(2));
    expect(server.traceId).toBe(TRACE_ID);
    expect(server.parentId).toBe(PARENT_ID);
    expect(upstream.requests[0]!.headers.traceparent).toBe(`00-${TRACE_ID}-${client.id}-01`);
  });

  it('proxies and propagates an unsampled request but records nothing', async () => {
    const { upstream, zipkin, proxy } = await setup();
    const res = await fetch(`${proxy.url}/api/x`, { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` } });
    expect(res.status).toBe(200);
    const sent = TRACEPARENT_RE.exec(String(upstream.requests[0]!.headers.traceparent));
    expect(sent![1]).toBe(TRACE_ID);
    expect(sent![2]).not.toBe(PARENT_ID);
    expect(sent![3]).toBe('00');
    expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
    // A sampled request afterwards is exported; the unsampled one never is.
    await fetch(`${proxy.url}/api/y`, { headers: { traceparent: `00-${'a'.repeat(32)}-${PARENT_ID}-01` } });
    await proxy.app.flush();
    const spans = await zipkin.waitForSpans(2);
    expect(spans.map((span) => span.traceId)).toEqual(['a'.repeat(32), 'a'.repeat(32)]);
  });

  it('samples new traces at sampleRate 0 never, and still propagates', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({
      tracing: { sampleRate: 0 },
      routes: [{ name: 'all', upstream: upstream.url }],
    });
    await fetch(`${proxy.url}/x`);
    expect(upstream.requests[0]!.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    expect(await proxy.spans()).toHaveLength(0);
  });

  it('removes stale trace headers of every format before injecting its own', async () => {
    const { upstream, zipkin, proxy } = await setup();
    await fetch(`${proxy.url}/api/x`, {
      headers: {
        b3: `${TRACE_ID}-${PARENT_ID}-1`,
        'x-b3-traceid': TRACE_ID,
        'x-b3-spanid': PARENT_ID,
        'x-b3-sampled': '1',
        'uber-trace-id': `${TRACE_ID}:${PARENT_ID}:0:1`,
      },
    });
    await zipkin.waitForSpans(2);
    const received = upstream.requests[0]!.headers;
    for (const name of ['b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'uber-trace-id']) expect(received[name]).toBeUndefined();
    expect(received.traceparent).toMatch(TRACEPARENT_RE);
  });
});
