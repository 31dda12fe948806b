/**
 * Proxying per SPEC §2-3: routing, streaming, forwarding headers, status rules, upstream failures, service
 * names and redaction, checked on what the upstream received, what the client saw and the exported spans.
 */
import http from 'node:http';
import { request } from 'node:http';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startUpstream } from '../helpers/upstream.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';
import { startProxy } from '../helpers/proxy.js';
import { listen } from '../helpers/listen.js';
import { rawRequest } from '../helpers/raw-request.js';

describe('routing', () => {
  it('sends each request to the first route that matches host, path prefix and method', async () => {
    const a = await startUpstream();
    const b = await startUpstream();
    const c = await startUpstream();
    const proxy = await startProxy({
      routes: [
        { name: 'exact-host', match: { host: 'orders.internal', pathPrefix: '/api' }, upstream: a.url },
        { name: 'wildcard', match: { host: '*.example.com' }, upstream: b.url },
        { name: 'posts', match: { pathPrefix: '/api', methods: ['POST'] }, upstream: c.url },
      ],
    });
    const send = (path: string, host: string, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${proxy.url}${path}`, { method, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await send('/api/orders', 'ORDERS.internal:8080')).toBe(200); // port ignored, case-insensitive
    expect(await send('/api', 'orders.internal')).toBe(200);
    expect(await send('/apix', 'orders.internal')).toBe(404); // prefix is segment-aware
    expect(await send('/anything', 'shop.example.com')).toBe(200);
    expect(await send('/anything', 'a.b.example.com')).toBe(200);
    expect(await send('/anything', 'example.com')).toBe(404); // *.suffix is not the bare domain
    expect(await send('/api/x', 'other', 'POST')).toBe(200);
    expect(await send('/api/x', 'other', 'GET')).toBe(404);
    expect(a.requests.map((r) => r.url)).toEqual(['/api/orders', '/api']);
    expect(b.requests.map((r) => r.url)).toEqual(['/anything', '/anything']);
    expect(c.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/x']);
  });

  it('answers 404 for an unknown route, forwards nothing, and names no internals', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'only', match: { pathPrefix: '/only' }, upstream: upstream.url }] });
    const res = await fetch(`${proxy.url}/elsewhere?token=secret`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'route_not_found', message: 'no route matches this request' });
    expect(body).not.toContain(String(upstream.port));
    expect(upstream.requests).toHaveLength(0);
    const spans = await proxy.spans();
    expect(spans).toHaveLength(1); // the SERVER span only: no upstream attempt
    expect(spans[0]!.attributes['http.response.status_code']).toBe(404);
    expect(spans[0]!.status.code).toBe(0); // a 404 is not a server error
  });

  it('strips the prefix when asked and keeps the query', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({
      routes: [{ name: 'strip', match: { pathPrefix: '/svc' }, upstream: `${upstream.url}/base`, stripPrefix: true }],
    });
    await fetch(`${proxy.url}/svc/items?page=2`);
    await fetch(`${proxy.url}/svc`);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/base/items?page=2', '/base/']);
  });

  it('balances several targets round-robin', async () => {
    const ups = [await startUpstream(), await startUpstream(), await startUpstream()];
    const proxy = await startProxy({ routes: [{ name: 'rr', upstream: { targets: ups.map((u) => u.url) } }] });
    for (let i = 0; i < 6; i += 1) await (await fetch(`${proxy.url}/x`)).text();
    expect(ups.map((u) => u.requests.length)).toEqual([2, 2, 2]);
  });
});

describe('forwarding', () => {
  it('streams a large chunked body both ways without buffering it whole', async () => {
    const upstream = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res); // echo, chunked
    });
    const { url } = await listen(upstream);
    const proxy = await startProxy({ routes: [{ name: 'echo', upstream: url }] });
    const size = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    const req = request(`${proxy.url}/upload`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    const response = once(req, 'response');
    for (let sent = 0; sent < size; sent += chunk.length) if (!req.write(chunk)) await once(req, 'drain');
    req.end();
    const [res] = (await response) as [http.IncomingMessage];
    let received = 0;
    for await (const part of res) received += (part as Buffer).length;
    expect(res.statusCode).toBe(200);
    expect(received).toBe(size);
  });

  it('adds X-Forwarded-For/-Proto/-Host and drops hop-by-hop headers in both directions', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'keep-alive': 'timeout=5', 'x-hop': 'remove-me', connection: 'x-hop', 'x-kept': 'yes' });
      res.end('ok');
    });
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: upstream.url }] });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = request(`${proxy.url}/x`, {
        headers: { host: 'shop.example', connection: 'x-private, keep-alive', 'x-private': 'secret', 'proxy-connection': 'keep-alive', te: 'gzip', 'x-end': 'kept' },
      }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.resume();
    const received = upstream.requests[0]!.headers;
    expect(received['x-forwarded-for']).toBe('127.0.0.1');
    expect(received['x-forwarded-proto']).toBe('http');
    expect(received['x-forwarded-host']).toBe('shop.example');
    expect(received.host).toBe('shop.example'); // the Host header is preserved
    expect(received['x-private']).toBeUndefined();
    expect(received['proxy-connection']).toBeUndefined();
    expect(received.te).toBeUndefined();
    expect(received['x-end']).toBe('kept');
    expect(res.headers['x-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    expect(res.headers['x-kept']).toBe('yes');
  });
  it('drops every header an answer names in repeated Connection headers', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.setHeader('connection', ['x-one', 'x-two, keep-alive']);
      res.setHeader('x-one', 'hop');
      res.setHeader('x-two', 'hop');
      res.setHeader('x-kept', 'yes');
      res.end('ok');
    });
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: upstream.url }] });
    const res = await rawRequest(`${proxy.url}/`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('ok');
    expect(res.headers['x-one']).toBeUndefined();
    expect(res.headers['x-two']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('yes');
  });
  it('sends what the upstream needs: its authority for a Host-less HTTP/1.0 request, a bodiless DELETE framed as one, no Connection: close', async () => {
    const upstream = await startUpstream((req, res) => {
      // Chunked (no length): an HTTP/1.0 client must still get the whole body, ended by the close.
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
      res.write('chunk one,');
      res.end(' chunk two');
    });
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: `${upstream.url}/base/` }] });

    const socket = net.connect(Number(new URL(proxy.url).port), '127.0.0.1');
    socket.write('GET /x//y?q=1 HTTP/1.0\r\n\r\n'); // not end(): Node's server drops a half-closed client's request
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(socket, 'close');
    const answer = Buffer.concat(chunks).toString('latin1');
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head!.toLowerCase()).not.toContain('transfer-encoding');
    expect(head!.toLowerCase().match(/\r\nset-cookie: /g)).toHaveLength(2);
    expect(body).toBe('chunk one, chunk two');
    expect(upstream.requests[0]!.url).toBe('/base/x//y?q=1'); // the base path, then the path exactly as sent
    expect(upstream.requests[0]!.headers.host).toBe(`127.0.0.1:${upstream.port}`);

    const deleted = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = request(`${proxy.url}/thing`, { method: 'DELETE', headers: { connection: 'close' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    deleted.resume();
    expect(deleted.headers.connection).toBe('close');
    const received = upstream.requests[1]!;
    expect(received.method).toBe('DELETE');
    // No Content-Length and no Transfer-Encoding: a request without content (RFC 9112 §6.3), sent without a
    // zero length, as RFC 9110 §8.6 asks for a method that does not anticipate content.
    expect(received.headers['content-length']).toBeUndefined();
    expect(received.headers['transfer-encoding']).toBeUndefined();
    expect(received.headers.connection).toBe('keep-alive'); // the client's close is for its own connection
  });
  it('relays the answer header lines as the upstream wrote them: a repeated header stays repeated, a non-ASCII value byte for byte', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.setHeader('x-multi', ['one', 'two']);
      res.setHeader('x-latin', 'caf\u00e9'); // bytes above 0x7F on the wire
      res.end('ok');
    });
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: upstream.url }] });
    const headerLines = (url: string) =>
      new Promise<string[]>((resolve, reject) => {
        const req = request(url, { agent: false }, (res) => {
          res.resume();
          resolve(res.rawHeaders); // values as latin1: one character per byte on the wire
        });
        req.on('error', reject);
        req.end();
      });
    const direct = await headerLines(`${upstream.url}/`);
    const proxied = await headerLines(`${proxy.url}/`);
    const values = (lines: string[], name: string) => lines.filter((_, i) => i % 2 === 1 && lines[i - 1]!.toLowerCase() === name);
    expect(values(proxied, 'x-multi')).toEqual(['one', 'two']); // not joined into "one, two"
    expect(values(direct, 'x-latin')).toHaveLength(1);
    expect(values(proxied, 'x-latin')).toEqual(values(direct, 'x-latin'));
  });
});

describe('status rules and failures', () => {
  async function statusSetup(status: number) {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(status);
      res.end();
    });
    return startProxy({ routes: [{ name: 'r', upstream: upstream.url }] });
  }

  it('marks only the client span as an error for a 4xx', async () => {
    const proxy = await statusSetup(404);
    expect((await fetch(`${proxy.url}/x`)).status).toBe(404);
    const spans = await proxy.spans();
    const server = spans.find((s) => s.kind === 1)!;
    const client = spans.find((s) => s.kind === 2)!;
    expect(server.status.code).toBe(0);
    expect(client.status.code).toBe(2);
    expect(client.attributes['error.type']).toBe('404');
    expect(client.attributes['http.response.status_code']).toBe(404);
  });

  it('marks both spans as errors for a 5xx', async () => {
    const proxy = await statusSetup(503);
    expect((await fetch(`${proxy.url}/x`)).status).toBe(503);
    const spans = await proxy.spans();
    for (const span of spans) {
      expect(span.status.code).toBe(2);
      expect(span.attributes['error.type']).toBe('503');
    }
    expect(spans).toHaveLength(2);
  });

  it('answers 502 when the upstream refuses the connection', async () => {
    const closed = http.createServer();
    const { url } = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const zipkin = await startZipkinReceiver();
    const proxy = await startProxy({
      tracing: { exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }] },
      routes: [{ name: 'gone', upstream: url }],
    });
    const res = await fetch(`${proxy.url}/x`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: 'connection_refused', message: 'the upstream refused the connection' });
    const spans = await zipkin.waitForSpans(2);
    for (const span of spans) {
      expect(span.tags!['error.type']).toBe('connection_refused');
      expect(span.tags!.error).toBe('the upstream refused the connection');
      expect(span.tags!['otel.status_code']).toBe('ERROR');
    }
  });

  it('answers 504 when the upstream does not answer within timeoutMs', async () => {
    const upstream = await startUpstream(() => {
      /* never answers */
    });
    const proxy = await startProxy({ routes: [{ name: 'slow', upstream: upstream.url, timeoutMs: 100 }] });
    const res = await fetch(`${proxy.url}/x`);
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: string }).error).toBe('timeout');
    const spans = await proxy.spans();
    expect(spans.map((s) => s.attributes['error.type'])).toEqual(['timeout', 'timeout']);
    expect(spans.every((s) => s.status.code === 2)).toBe(true);
  });
});

describe('spans', () => {
  it('records each route under its own service, with the upstream as remoteEndpoint', async () => {
    const upstream = await startUpstream();
    const zipkin = await startZipkinReceiver();
    const proxy = await startProxy({
      tracing: { serviceName: 'edge', exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }] },
      routes: [
        { name: 'orders', service: 'orders', peerService: 'orders-db', match: { pathPrefix: '/orders' }, upstream: upstream.url },
        { name: 'default', match: { pathPrefix: '/other' }, upstream: upstream.url },
      ],
    }, { processor: { scheduledDelayMs: 60_000 } }); // nothing leaves before the flush: one batch
    await (await fetch(`${proxy.url}/orders/1`, { headers: { 'user-agent': 'test-agent/1.0' } })).text();
    await (await fetch(`${proxy.url}/other/2`)).text();
    await proxy.app.flush();
    const spans = await zipkin.waitForSpans(4);
    expect(zipkin.posts).toBe(1); // both services in one batch
    const orders = spans.filter((s) => s.tags!['hoptrace.route'] === 'orders' || s.tags!['peer.service'] === 'orders-db');
    expect(orders.map((s) => s.localEndpoint!.serviceName)).toEqual(['orders', 'orders']);
    const server = spans.find((s) => s.kind === 'SERVER' && s.tags!['url.path'] === '/orders/1')!;
    expect(server.name).toBe('GET /orders');
    expect(server.tags).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/orders/1',
      'url.scheme': 'http',
      'http.route': '/orders',
      'http.response.status_code': '200',
      'client.address': '127.0.0.1',
      'user_agent.original': 'test-agent/1.0',
    });
    const client = spans.find((s) => s.kind === 'CLIENT' && s.parentId === server.id)!;
    expect(client.remoteEndpoint).toEqual({ serviceName: 'orders-db', ipv4: '127.0.0.1', port: upstream.port });
    expect(client.tags).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': String(upstream.port), 'peer.service': 'orders-db' });
    const other = spans.filter((s) => s.tags!['url.path'] === '/other/2' || (s.kind === 'CLIENT' && s.parentId !== server.id));
    expect(other.map((s) => s.localEndpoint!.serviceName)).toEqual(['hoptrace', 'hoptrace'].map(() => 'edge'));
    const otherClient = spans.find((s) => s.kind === 'CLIENT' && s.parentId !== server.id)!;
    expect(otherClient.remoteEndpoint!.serviceName).toBe(`127.0.0.1:${upstream.port}`);
  });

  it('never records secrets: no authorization, cookies or query values in any span', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'set-cookie': 'session=upstream-secret' });
      res.end('ok');
    });
    const zipkin = await startZipkinReceiver();
    const proxy = await startProxy({
      tracing: { exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }] },
      routes: [{ name: 'r', upstream: upstream.url }],
    });
    await fetch(`${proxy.url}/login?password=hunter2&token=abc123`, {
      headers: { authorization: 'Bearer top-secret', cookie: 'session=client-secret', 'proxy-authorization': 'Basic cHJveHk=' },
    });
    const json = JSON.stringify(await zipkin.waitForSpans(2));
    for (const secret of ['hunter2', 'abc123', 'top-secret', 'client-secret', 'upstream-secret', 'cHJveHk=']) expect(json).not.toContain(secret);
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer top-secret'); // forwarded, never recorded
  });
});

describe('trace headers on requests whose headers leave early', () => {
  it('injects traceparent into a request with Expect: 100-continue, whose headers leave before any hook', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: upstream.url }] });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = request(`${proxy.url}/upload`, {
        method: 'PUT',
        headers: { expect: '100-continue', 'content-length': '5', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-b3-traceid': 'stale' },
      });
      req.on('continue', () => req.end('hello'));
      req.on('response', resolve);
      req.on('error', reject);
    });
    res.resume();
    expect(res.statusCode).toBe(200);
    const received = upstream.requests[0]!;
    expect(received.body.toString()).toBe('hello');
    expect(received.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-0[13]$/);
    expect(received.headers['x-b3-traceid']).toBeUndefined();
  });

  it("keeps a client's Connection: close as its own wish, not the upstream's", async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: upstream.url }] });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = request(`${proxy.url}/x`, { headers: { connection: 'close' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.resume();
    expect(res.headers.connection).toBe('close');
  });

});
