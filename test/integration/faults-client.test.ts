/**
 * Client faults and bad input (SPEC §3, §5): a client that hangs up aborts the upstream request and ends
 * both spans as errors; slow, oversize or malformed requests get 408/431/400 and are never forwarded;
 * CONNECT and absolute-form requests for hosts no route names are refused (no open proxy).
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ATTR_ERROR_TYPE } from '../../src/tracing/attributes.js';
import { expectNoSocketsLeft, hopSpans, sendRaw, splitAddress, startRecordingUpstream, statusOf } from '../helpers/faults.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const address = (url: string): string => url.replace('http://', '');

describe('client faults', () => {
  it('aborts the upstream request and ends both spans as errors when the client hangs up mid-request', async () => {
    const upstream = await startRecordingUpstream(() => {}); // waits for a body that never completes
    const proxy = await startProxy({ routes: [{ name: 'upload', upstream: upstream.url }] });
    const [host, port] = splitAddress(proxy.url);

    const socket = net.connect(port, host);
    socket.on('error', () => {});
    socket.write('POST /upload HTTP/1.1\r\nHost: files.internal\r\nContent-Length: 1000\r\n\r\nfirst bytes');
    await waitFor(() => upstream.requests.length === 1, 5_000, 'the upstream to get the request');
    socket.destroy();

    expect(await upstream.outcome(0)).toBe('aborted');
    const { server, clients } = await hopSpans(proxy, 1);
    expect(server.attributes[ATTR_ERROR_TYPE]).toBe('client_aborted');
    expect(clients[0]!.attributes[ATTR_ERROR_TYPE]).toBe('client_aborted');
    await expectNoSocketsLeft(proxy.app);
  });

  it('aborts the upstream request and ends both spans as errors when the client hangs up mid-response', async () => {
    const upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk'); // and the rest never comes
    });
    const proxy = await startProxy({ routes: [{ name: 'stream', upstream: upstream.url }] });

    const req = http.get(`${proxy.url}/feed`, { agent: false });
    req.on('error', () => {});
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    await once(res, 'data');
    req.destroy();

    expect(await upstream.outcome(0)).toBe('aborted');
    const { server, clients } = await hopSpans(proxy, 1);
    expect(server.attributes[ATTR_ERROR_TYPE]).toBe('client_aborted');
    expect(clients[0]!.attributes[ATTR_ERROR_TYPE]).toBe('client_aborted');
    await expectNoSocketsLeft(proxy.app);
  });

  it('answers 408 and closes the connection when the headers take longer than headersTimeoutMs', async () => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ headersTimeoutMs: 200, routes: [{ name: 'any', upstream: upstream.url }] });

    const raw = await sendRaw(address(proxy.url), 'GET / HTTP/1.1\r\nHost: slow.example\r\nX-Slow: 1\r\n');

    expect(statusOf(raw)).toBe(408);
    expect(upstream.requests).toHaveLength(0);
    await expectNoSocketsLeft(proxy.app);
  });

  it('answers 431 to oversize headers without forwarding them', async () => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ routes: [{ name: 'any', upstream: upstream.url }] });

    const raw = await sendRaw(address(proxy.url), `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);

    expect(statusOf(raw)).toBe(431);
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    ['a request line without target', 'GET\r\n\r\n'],
    ['a request line with a fourth part', 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
    ['an unknown protocol', 'GET / HTTQ/1.1\r\nHost: x\r\n\r\n'],
    ['a method with invalid characters', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an authority-form target outside CONNECT', 'GET files.example:443 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nBroken Header\r\n\r\n'],
    ['two different content lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['content-length beside chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n'],
    ['a TLS handshake on the plain port', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])],
  ])('answers 400 to %s without forwarding it', async (_name, text) => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ routes: [{ name: 'any', upstream: upstream.url }] });

    const raw = await sendRaw(address(proxy.url), text);

    expect(statusOf(raw)).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });

  it.each([
    ['*', 'OPTIONS * HTTP/1.1'],
    ['a non-http URL', 'GET ftp://files.example/x HTTP/1.1'],
  ])('answers 400 malformed_request to a target that is %s', async (_name, line) => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ routes: [{ name: 'any', upstream: upstream.url }] });

    const raw = await sendRaw(address(proxy.url), `${line}\r\nHost: files.example\r\nConnection: close\r\n\r\n`);

    expect(statusOf(raw)).toBe(400);
    expect(raw).toContain('"error":"malformed_request"');
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers CONNECT with 405 and never opens a tunnel', async () => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ routes: [{ name: 'any', upstream: upstream.url }] });

    const raw = await sendRaw(address(proxy.url), 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n');

    expect(statusOf(raw)).toBe(405);
    expect(upstream.requests).toHaveLength(0);
    await expectNoSocketsLeft(proxy.app);
  });

  it('answers 404 to an absolute-form request for a host no route names, even with a catch-all route', async () => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ routes: [{ name: 'catch-all', upstream: upstream.url }] });

    const raw = await sendRaw(
      address(proxy.url),
      'GET http://evil.example/steal HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n',
    );

    expect(statusOf(raw)).toBe(404);
    expect(upstream.requests).toHaveLength(0);
  });

  it('forwards an absolute-form request whose host is the Host header as the same origin-form request', async () => {
    const upstream = await startRecordingUpstream((_req, res) => res.end('ok'));
    const proxy = await startProxy({ routes: [{ name: 'catch-all', upstream: upstream.url }] });

    const raw = await sendRaw(address(proxy.url), 'GET http://shop.example/cart?id=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n');

    expect(statusOf(raw)).toBe(200);
    expect(upstream.requests.map((request) => [request.url, request.headers.host])).toEqual([['/cart?id=1', 'shop.example']]);
  });

  it('forwards an absolute-form request for a host a route names to that route', async () => {
    const catchAll = await startRecordingUpstream((_req, res) => res.end('catch-all'));
    const api = await startRecordingUpstream((_req, res) => res.end('api'));
    const proxy = await startProxy({
      routes: [
        { name: 'catch-all', upstream: catchAll.url },
        { name: 'api', match: { host: 'api.internal' }, upstream: api.url },
      ],
    });

    const raw = await sendRaw(address(proxy.url), 'GET http://api.internal/v1 HTTP/1.1\r\nHost: other.example\r\nConnection: close\r\n\r\n');

    expect(statusOf(raw)).toBe(200);
    expect(raw.endsWith('api')).toBe(true);
    expect(api.requests.map((request) => [request.url, request.headers.host])).toEqual([['/v1', 'api.internal']]);
    expect(catchAll.requests).toHaveLength(0);
  });
});
