/**
 * Reload (SPEC §1): a new config takes effect for new requests at once, while requests in flight finish on
 * the config they started with, spans included: when the exporters change, the old ones stay up until the
 * last request of the old config has ended and its spans have gone out.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.js';
import { send, startCollector, startRecordingUpstream, traceIdOf } from '../helpers/faults.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

/** The same defaults as startProxy, for the config a test reloads to. */
// As in startProxy: no access log, which would go to the test runner's stdout.
const configFor = (json: Record<string, unknown>) =>
  buildConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', drainTimeoutMs: 2_000, accessLog: { enabled: false }, ...json });

describe('reload', () => {
  it('finishes a request in flight on the old upstream while a new request goes to the new one', async () => {
    const held: ServerResponse[] = [];
    const before = await startRecordingUpstream((_req, res) => held.push(res));
    const after = await startRecordingUpstream((_req, res) => res.end('from the new upstream'));
    const proxy = await startProxy({ routes: [{ name: 'api', upstream: before.url }] });

    const slow = send(proxy.url, { path: '/slow' });
    await waitFor(() => held.length === 1, 5_000, 'the old upstream to hold the request');
    await proxy.app.reload(configFor({ routes: [{ name: 'api', upstream: after.url }] }));
    const fresh = await send(proxy.url, { path: '/fresh' });
    held[0]!.end('from the old upstream');

    expect(fresh).toMatchObject({ status: 200, body: 'from the new upstream' });
    expect(await slow).toMatchObject({ status: 200, body: 'from the old upstream' });
    expect(before.requests.map((request) => request.url)).toEqual(['/slow']);
    expect(after.requests.map((request) => request.url)).toEqual(['/fresh']);
  });

  it('sends the spans of a request in flight to the exporters it started with, after they were replaced', async () => {
    const held: ServerResponse[] = [];
    const upstream = await startRecordingUpstream((req, res) => (req.url === '/slow' ? held.push(res) : res.end('fast')));
    const oldCollector = await startCollector();
    const newCollector = await startCollector();
    const routes = [{ name: 'api', upstream: upstream.url }];
    const proxy = await startProxy({ tracing: { exporters: [{ type: 'zipkin', endpoint: oldCollector.endpoint }] }, routes });

    const slow = send(proxy.url, { path: '/slow' });
    await waitFor(() => held.length === 1, 5_000, 'the upstream to hold the request');
    await proxy.app.reload(configFor({ tracing: { exporters: [{ type: 'zipkin', endpoint: newCollector.endpoint }] }, routes }));
    const fresh = await send(proxy.url, { path: '/fresh' });
    held[0]!.end('slow');
    const slowTrace = traceIdOf((await slow).headers);
    const freshTrace = traceIdOf(fresh.headers);

    const atOld = await oldCollector.waitForSpans((spans) => spans.filter((span) => span.traceId === slowTrace).length === 2);
    const atNew = await newCollector.waitForSpans((spans) => spans.filter((span) => span.traceId === freshTrace).length === 2);
    expect(atOld.filter((span) => span.traceId === freshTrace)).toEqual([]);
    expect(atNew.filter((span) => span.traceId === slowTrace)).toEqual([]);
    expect(atOld.filter((span) => span.traceId === slowTrace).map((span) => span.kind).sort()).toEqual(['CLIENT', 'SERVER']);
  });

  it('keeps the exporters when a reload does not change them, so nothing queued is lost', async () => {
    const collector = await startCollector();
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const config = { tracing: { exporters: [{ type: 'zipkin', endpoint: collector.endpoint }] }, routes: [{ name: 'api', upstream: upstream.url }] };
    const proxy = await startProxy(config);

    const first = await send(proxy.url);
    await proxy.app.reload(configFor({ ...config, routes: [{ name: 'renamed', upstream: upstream.url }] }));
    const second = await send(proxy.url);

    const ids = [traceIdOf(first.headers), traceIdOf(second.headers)];
    await collector.waitForSpans((spans) => ids.every((id) => spans.filter((span) => span.traceId === id).length === 2));
    // The collector has the spans before the proxy has read its answer: wait for the count to follow.
    const stats = await waitFor(() => proxy.app.exportStats().find((entry) => entry.name === 'zipkin[0]' && entry.exported === 4), 5_000, '4 exported spans');
    expect(stats.dropped).toBe(0);
  });
});
