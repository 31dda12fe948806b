import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { startUpstream } from '../helpers/upstream.js';
import { startProxy } from '../helpers/proxy.js';
import { rawRequest } from '../helpers/raw-request.js';
import { waitFor } from '../helpers/wait.js';
import { buildConfig } from '../../src/config/index.js';
import { ATTR_HOPTRACE_ROUTE } from '../../src/tracing/attributes.js';

const SAMPLED_PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UNSAMPLED_PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

describe('OTEL_TRACES_SAMPLER through the proxy', () => {
  // [sampler, arg, sampled for: a request without context, one sampled upstream of us, one not sampled]
  const table: Array<[string, string | undefined, [boolean, boolean, boolean]]> = [
    ['always_on', undefined, [true, true, true]],
    ['always_off', undefined, [false, false, false]],
    ['traceidratio', '1', [true, true, true]],
    ['traceidratio', '0', [false, false, false]],
    ['parentbased_always_on', undefined, [true, true, false]],
    ['parentbased_always_off', undefined, [false, true, false]],
    ['parentbased_traceidratio', '0', [false, true, false]],
    ['parentbased_traceidratio', '1', [true, true, false]],
  ];
  it.each(table)('%s (arg %s) samples %j', async (sampler, arg, expected) => {
    const upstream = await startUpstream();
    const proxy = await startProxy(
      { tracing: { sampleRate: 0.5 }, routes: [{ name: 'all', upstream: upstream.url }] },
      {},
      { OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: arg },
    );
    for (const traceparent of [undefined, SAMPLED_PARENT, UNSAMPLED_PARENT]) {
      await rawRequest(`${proxy.url}/`, traceparent === undefined ? {} : { traceparent });
    }
    const sampledUpstream = upstream.requests.map((request) => (parseInt(String(request.headers.traceparent).slice(-2), 16) & 1) === 1);
    expect(sampledUpstream).toEqual(expected);
    const servers = (await proxy.spans()).filter((span) => span.kind === SpanKind.SERVER);
    expect(servers).toHaveLength(expected.filter(Boolean).length);
  });
});

describe('per-route sampleRate', () => {
  it('overrides tracing.sampleRate and the environment sampler for its route only', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(
      {
        routes: [
          { name: 'quiet', match: { pathPrefix: '/health' }, upstream: upstream.url, sampleRate: 1 },
          { name: 'rest', upstream: upstream.url },
        ],
      },
      {},
      { OTEL_TRACES_SAMPLER: 'parentbased_always_off' },
    );
    for (let i = 0; i < 3; i += 1) {
      await rawRequest(`${proxy.url}/health`);
      await rawRequest(`${proxy.url}/other`);
    }
    const servers = (await proxy.spans()).filter((span) => span.kind === SpanKind.SERVER);
    expect(servers.map((span) => span.attributes[ATTR_HOPTRACE_ROUTE])).toEqual(['quiet', 'quiet', 'quiet']);
  });

  it('still keeps an incoming decision when parent-based', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'off', upstream: upstream.url, sampleRate: 0 }] });
    await rawRequest(`${proxy.url}/`, { traceparent: SAMPLED_PARENT });
    await rawRequest(`${proxy.url}/`);
    const servers = (await proxy.spans()).filter((span) => span.kind === SpanKind.SERVER);
    expect(servers.map((span) => span.spanContext().traceId)).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736']);
  });
});

describe('tracing.maxNewTracesPerSecond', () => {
  it('bounds the traces sampled in a burst, and not the decisions kept from callers', async () => {
    const perSecond = 5;
    const upstream = await startUpstream();
    const proxy = await startProxy({ tracing: { maxNewTracesPerSecond: perSecond }, routes: [{ name: 'all', upstream: upstream.url }] });

    const burst = 40;
    const startedAt = performance.now();
    const responses = await Promise.all(Array.from({ length: burst }, () => rawRequest(`${proxy.url}/`)));
    const elapsedSeconds = (performance.now() - startedAt) / 1_000;
    expect(responses.every((response) => response.status === 200)).toBe(true);
    await Promise.all(Array.from({ length: 10 }, () => rawRequest(`${proxy.url}/`, { traceparent: SAMPLED_PARENT })));

    const servers = (await proxy.spans()).filter((span) => span.kind === SpanKind.SERVER);
    const newTraces = servers.filter((span) => span.parentSpanContext === undefined).length;
    const kept = servers.filter((span) => span.parentSpanContext !== undefined).length;
    // The bucket starts full (one second's worth) and refills at perSecond while the burst lasts.
    expect(newTraces).toBeGreaterThanOrEqual(perSecond);
    expect(newTraces).toBeLessThanOrEqual(perSecond + Math.ceil(elapsedSeconds * perSecond));
    expect(kept).toBe(10);
    // Every request was still proxied with a traceparent; the unsampled ones say so.
    const unsampled = upstream.requests.filter((request) => String(request.headers.traceparent).endsWith('-02'));
    expect(unsampled).toHaveLength(burst - newTraces);
    await waitFor(() => proxy.app.openSockets() === 0, 2_000, 'the proxy to close every client socket');
  });

  it('keeps its bucket over a reload that keeps the rate: a reload hands out no extra second of traces', async () => {
    const perSecond = 4;
    const upstream = await startUpstream();
    const config = (routes: Array<Record<string, unknown>>) => ({ tracing: { maxNewTracesPerSecond: perSecond }, routes });
    const proxy = await startProxy(config([{ name: 'all', upstream: upstream.url }]));
    const newTraces = async () => (await proxy.spans()).filter((span) => span.kind === SpanKind.SERVER).length;

    const startedAt = performance.now();
    for (let i = 0; i < perSecond; i += 1) await rawRequest(`${proxy.url}/`);
    await proxy.app.reload(
      buildConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', accessLog: { enabled: false }, ...config([{ name: 'api', match: { pathPrefix: '/api' }, upstream: upstream.url }, { name: 'all', upstream: upstream.url }]) }),
    );
    for (let i = 0; i < perSecond; i += 1) await rawRequest(`${proxy.url}/`);
    const elapsedSeconds = (performance.now() - startedAt) / 1_000;

    expect(upstream.requests).toHaveLength(2 * perSecond);
    // A full bucket at the start, and whole tokens refilled since; a bucket refilled by the reload would give 2 × perSecond.
    const sampled = await newTraces();
    expect(sampled).toBeGreaterThanOrEqual(perSecond);
    expect(sampled).toBeLessThanOrEqual(perSecond + Math.floor(elapsedSeconds * perSecond));
  });
});

describe("a process's share of the per-second budgets (rateShare: 1/N in each of N cluster workers)", () => {
  it("scales the built-in store's sample under load: at a 1/200 share the store samples above 1 trace a second", async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'all', upstream: upstream.url }] }, { rateShare: 1 / 200 });
    const skipped = async (): Promise<number> => {
      const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
      return Number(/^hoptrace_spans_skipped_total\{exporter="store"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    // The store decides its sample once a second from the second before. waitFor's pauses (up to 100 ms)
    // keep these requests under the full budget of 200 traces a second: without the share nothing is skipped.
    const startedAt = performance.now();
    await waitFor(
      async () => {
        await Promise.all(Array.from({ length: 10 }, () => rawRequest(`${proxy.url}/`)));
        return (await skipped()) > 0;
      },
      5_000,
      'the store to leave spans out of its sample',
    );
    expect(upstream.requests.length / ((performance.now() - startedAt) / 1_000)).toBeLessThan(200);
  });
});
