import { copyFileSync } from 'node:fs';
import http from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.js';
import { ConfigError, HOP_ERR } from '../../src/errors.js';
import { createApp } from '../../src/app.js';
import { ATTR_ERROR_TYPE, ATTR_URL_SCHEME } from '../../src/tracing/attributes.js';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';
import { createTestPki, httpsRequest, startHttpsUpstream } from '../helpers/tls.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('TLS on the listener', () => {
  it('serves HTTPS end to end: url.scheme is https and the upstream gets X-Forwarded-Proto https', async () => {
    const pki = createTestPki();
    const server = pki.issue('proxy');
    const upstream = await startUpstream();
    const proxy = await startProxy({
      tls: { cert: server.certPath, key: server.keyPath },
      routes: [{ name: 'all', upstream: upstream.url }],
    });
    const url = proxy.url.replace('http://', 'https://');

    const res = await httpsRequest(`${url}/orders`, pki.ca);

    expect(res.status).toBe(200);
    expect(res.body).toBe('ok');
    expect(upstream.requests[0]!.headers['x-forwarded-proto']).toBe('https');
    const spans = await proxy.spans();
    const serverSpan = spans.find((span) => span.kind === SpanKind.SERVER)!;
    expect(serverSpan.attributes[ATTR_URL_SCHEME]).toBe('https');
    expect(proxy.app.openSockets()).toBe(0);
  });

  it('takes a renewed certificate from the same files on reload, for new connections', async () => {
    const pki = createTestPki();
    const first = pki.issue('first');
    const second = pki.issue('second');
    const upstream = await startUpstream();
    const json = { listen: '127.0.0.1:0', admin: '127.0.0.1:0', tls: { cert: first.certPath, key: first.keyPath }, routes: [{ name: 'all', upstream: upstream.url }] };
    const proxy = await startProxy(json);
    const url = proxy.url.replace('http://', 'https://');
    const before = await httpsRequest(url, pki.ca);

    copyFileSync(second.certPath, first.certPath);
    copyFileSync(second.keyPath, first.keyPath);
    await proxy.app.reload(buildConfig(json));
    const after = await httpsRequest(url, pki.ca);

    expect(after.status).toBe(200);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.fingerprint).toBe((await httpsRequest(url, pki.ca)).fingerprint);
  });

  it('rejects a reload that turns TLS on, keeping the running config', async () => {
    const pki = createTestPki();
    const server = pki.issue('proxy');
    const upstream = await startUpstream();
    const json = { listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'all', upstream: upstream.url }] };
    const proxy = await startProxy(json);

    const reload = proxy.app.reload(buildConfig({ ...json, tls: { cert: server.certPath, key: server.keyPath } }));

    await expect(reload).rejects.toMatchObject({ code: HOP_ERR.CONFIG_INVALID, issues: ['tls: turning TLS on or off takes a restart'] });
    expect((await get(proxy.url)).status).toBe(200);
  });

  it('refuses to start with a certificate file it cannot read, naming the field', () => {
    const pki = createTestPki();
    const server = pki.issue('proxy');
    const config = buildConfig({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      tls: { cert: `${pki.dir}/missing.pem`, key: server.keyPath },
      routes: [{ name: 'all', upstream: 'http://127.0.0.1:1', upstreamCa: server.keyPath }],
    });

    let error: unknown;
    try {
      createApp(config);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      `tls.cert: cannot read ${pki.dir}/missing.pem: no such file`,
      `routes[0].upstreamCa: ${server.keyPath} holds no PEM certificate`,
    ]);
  });
});

describe('HTTPS upstreams', () => {
  it('verifies the upstream through upstreamCa, with SNI and the certificate check naming the upstream, not the client Host', async () => {
    const pki = createTestPki();
    const upstream = await startHttpsUpstream(pki.issue('upstream'));
    const proxy = await startProxy({
      routes: [{ name: 'billing', upstream: `https://localhost:${upstream.port}`, upstreamCa: pki.caPath }],
    });

    const res = await get(`${proxy.url}/billing`, { host: 'shop.example.com' });

    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.servername).toBe('localhost');
    expect(upstream.requests[0]!.headers.host).toBe('shop.example.com');
  });

  it('keeps one upstream connection for requests whose Host headers differ', async () => {
    const pki = createTestPki();
    const ports: number[] = [];
    const upstream = await startHttpsUpstream(pki.issue('upstream'), (req, res) => {
      ports.push(req.socket.remotePort!);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    const proxy = await startProxy({
      routes: [{ name: 'billing', upstream: `https://localhost:${upstream.port}`, upstreamCa: pki.caPath }],
    });

    for (const host of ['a.example', 'b.example', 'c.example']) expect((await get(`${proxy.url}/billing`, { host })).status).toBe(200);

    // The TLS server name is the target's, so a new Host header is no reason for a new connection.
    expect(upstream.requests.map((request) => request.servername)).toEqual(['localhost', 'localhost', 'localhost']);
    expect(new Set(ports).size).toBe(1);
  });

  it('checks an upstream addressed by IP against that IP, sending no SNI', async () => {
    const pki = createTestPki();
    const upstream = await startHttpsUpstream(pki.issue('upstream'));
    const proxy = await startProxy({
      routes: [{ name: 'billing', upstream: `https://127.0.0.1:${upstream.port}`, upstreamCa: pki.caPath }],
    });

    const res = await get(`${proxy.url}/billing`, { host: 'localhost' });

    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.servername).toBe(false);
  });

  it('answers 502 with error.type tls_failure when the upstream certificate is not trusted', async () => {
    const pki = createTestPki();
    const upstream = await startHttpsUpstream(pki.issue('upstream'));
    const proxy = await startProxy({ routes: [{ name: 'billing', upstream: `https://127.0.0.1:${upstream.port}` }] });

    const res = await get(`${proxy.url}/billing`);

    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toEqual({ error: 'tls_failure', message: 'the upstream TLS handshake failed' });
    expect(upstream.requests).toHaveLength(0);
    const spans = await proxy.spans();
    expect(spans.map((span) => [span.attributes[ATTR_ERROR_TYPE], span.status.code])).toEqual([
      ['tls_failure', SpanStatusCode.ERROR],
      ['tls_failure', SpanStatusCode.ERROR],
    ]);
  });

  it('trusts a route CA for that route only', async () => {
    const pki = createTestPki();
    const upstream = await startHttpsUpstream(pki.issue('upstream'));
    const target = `https://127.0.0.1:${upstream.port}`;
    const proxy = await startProxy({
      routes: [
        { name: 'trusted', match: { pathPrefix: '/trusted' }, upstream: target, upstreamCa: pki.caPath },
        { name: 'plain', match: { pathPrefix: '/plain' }, upstream: target },
      ],
    });

    expect((await get(`${proxy.url}/trusted`)).status).toBe(200);
    expect((await get(`${proxy.url}/plain`)).status).toBe(502);
    expect((await get(`${proxy.url}/trusted`)).status).toBe(200);
  });
});
