import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildConfig, type HopConfig } from '../../src/config/index.js';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';
import { plainRequest } from '../helpers/plain-request.js';
import { waitFor } from '../helpers/wait.js';
import { createTestPki } from '../helpers/tls.js';

describe('admin port', () => {
  it('answers /healthz and /readyz 200 while running, and /readyz 503 while draining an in-flight request', async () => {
    const held: ServerResponse[] = [];
    const upstream = await startUpstream((_req, res) => held.push(res));
    const proxy = await startProxy({ routes: [{ name: 'slow', upstream: upstream.url }] });
    expect((await plainRequest(`${proxy.adminUrl}/healthz`)).status).toBe(200);
    expect((await plainRequest(`${proxy.adminUrl}/readyz`)).status).toBe(200);

    const inFlight = plainRequest(`${proxy.url}/slow`);
    await waitFor(() => held.length === 1, 5_000, 'the upstream to hold the request');
    const closing = proxy.app.close();
    await waitFor(async () => (await plainRequest(`${proxy.adminUrl}/readyz`)).status === 503, 5_000, '/readyz to turn 503');
    expect((await plainRequest(`${proxy.adminUrl}/healthz`)).status).toBe(200);

    held[0]!.writeHead(200, { 'content-type': 'text/plain' });
    held[0]!.end('finished during the drain');
    const res = await inFlight;
    expect([res.status, res.body]).toEqual([200, 'finished during the drain']);
    await closing;
  });

  it('shows the effective config on /config, defaults filled in, and the new one after a reload', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'first', upstream: upstream.url }] });
    const shown = JSON.parse((await plainRequest(`${proxy.adminUrl}/config`)).body) as HopConfig;
    expect(shown.routes).toHaveLength(1);
    expect(shown.routes[0]).toMatchObject({ name: 'first', service: 'hoptrace', match: {}, targets: [upstream.url], stripPrefix: false, timeoutMs: 30_000 });
    expect(shown.accessLog).toEqual({ enabled: false, destination: 'stdout' });
    expect(shown.tracing.serviceName).toBe('hoptrace');

    await proxy.app.reload(
      buildConfig({
        listen: '127.0.0.1:0',
        admin: '127.0.0.1:0',
        accessLog: { enabled: false, destination: 'stderr' },
        routes: [{ name: 'second', upstream: upstream.url }],
      }),
    );
    const reloaded = JSON.parse((await plainRequest(`${proxy.adminUrl}/config`)).body) as HopConfig;
    expect(reloaded.routes.map((route) => route.name)).toEqual(['second']);
    expect(reloaded.accessLog).toEqual({ enabled: false, destination: 'stderr' });
  });

  it('masks secrets on /config: exporter header values from the file and the environment, a secret query parameter; shows the TLS key path', async () => {
    const pki = createTestPki();
    const issued = pki.issue('proxy');
    const proxy = await startProxy(
      {
        tls: { cert: issued.certPath, key: issued.keyPath },
        tracing: {
          exporters: [
            { type: 'otlp', endpoint: 'http://127.0.0.1:9/v1/traces?api_key=k-123&region=eu', headers: { authorization: 'Bearer s3cret-token' } },
          ],
        },
        routes: [],
      },
      {},
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=team-key-456' },
    );

    const res = await plainRequest(`${proxy.adminUrl}/config`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    for (const secret of ['k-123', 's3cret-token', 'team-key-456', 'PRIVATE KEY', issued.key.split('\n')[1]!]) {
      expect(res.body).not.toContain(secret);
    }
    const shown = JSON.parse(res.body) as HopConfig;
    expect(shown.tracing.exporters).toEqual([
      {
        type: 'otlp',
        endpoint: 'http://127.0.0.1:9/v1/traces?api_key=REDACTED&region=eu',
        headers: { authorization: 'REDACTED', 'x-honeycomb-team': 'REDACTED' },
      },
    ]);
    expect(shown.tls).toEqual({ cert: issued.certPath, key: issued.keyPath });
  });

  it('answers 404 for an unknown admin path', async () => {
    const proxy = await startProxy({ routes: [] });
    expect((await plainRequest(`${proxy.adminUrl}/nope`)).status).toBe(404);
  });
});
