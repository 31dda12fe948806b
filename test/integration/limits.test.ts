import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { onTestFinished, describe, expect, it } from 'vitest';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

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

function hostPort(url: string): { host: string; port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

/** A raw connection to the proxy; everything it receives, and whether it was closed. */
async function connect(url: string): Promise<{ socket: net.Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = net.connect(hostPort(url));
  onTestFinished(() => {
    socket.destroy();
  });
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => {}); // a dropped connection may be reset; 'close' follows either way
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, received: () => received, closed };
}

describe('request limits', () => {
  it('answers 431 to a header block over maxHeaderBytes, forwarding nothing', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ limits: { maxHeaderBytes: 2048 }, routes: [{ name: 'all', upstream: upstream.url }] });

    expect((await get(proxy.url, { 'x-big': 'b'.repeat(1500) })).status).toBe(200);
    expect((await get(proxy.url, { 'x-big': 'b'.repeat(3000) })).status).toBe(431);
    expect(upstream.requests).toHaveLength(1);
  });

  it('answers 431 to more header fields than maxHeaderCount, instead of dropping the rest', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ limits: { maxHeaderCount: 10 }, routes: [{ name: 'all', upstream: upstream.url }] });
    const headers = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-h${i}`, 'v']));

    // Node's client adds Host and Connection: 8 + 2 = 10 fields pass, 9 + 2 = 11 do not.
    expect((await get(proxy.url, headers(8))).status).toBe(200);
    const refused = await get(proxy.url, headers(9));

    expect(refused.status).toBe(431);
    expect(JSON.parse(refused.body)).toEqual({ error: 'headers_too_large', message: 'the request headers are too large' });
    expect(upstream.requests).toHaveLength(1);
    expect(await proxy.spans()).toHaveLength(2); // the passing request's two spans; the refused one is not traced
  });

  it('answers 414 to a request target longer than maxUrlLength, forwarding nothing', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ limits: { maxUrlLength: 100 }, routes: [{ name: 'all', upstream: upstream.url }] });

    expect((await get(`${proxy.url}/${'a'.repeat(99)}`)).status).toBe(200);
    const refused = await get(`${proxy.url}/${'a'.repeat(100)}`);

    expect(refused.status).toBe(414);
    expect(JSON.parse(refused.body)).toEqual({ error: 'uri_too_long', message: 'the request URL is too long' });
    expect(upstream.requests).toHaveLength(1);
  });

  it('closes connections beyond maxConnections on arrival, and takes new ones once below it', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ limits: { maxConnections: 2 }, routes: [{ name: 'all', upstream: upstream.url }] });
    const first = await connect(proxy.url);
    await connect(proxy.url);
    await waitFor(() => proxy.app.openSockets() === 2, 2_000, 'two open connections');

    const third = await connect(proxy.url);
    third.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await third.closed;

    expect(third.received()).toBe('');
    expect(upstream.requests).toHaveLength(0);
    first.socket.destroy();
    await waitFor(() => proxy.app.openSockets() === 1, 2_000, 'one open connection');
    expect((await get(proxy.url)).status).toBe(200);
  });

  it('cuts a tracestate over 512 characters by members: long members first, then from the end', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'all', upstream: upstream.url }] });
    const short = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}=${'v'.repeat(20)}`);
    const tracestate = [`long=${'x'.repeat(200)}`, ...short].join(',');

    await get(proxy.url, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate });

    // 20 members of 24 characters and their commas make 499; a 21st would make 524.
    expect(upstream.requests[0]!.headers.tracestate).toBe(short.slice(0, 20).join(','));
  });

  it('drops a baggage header over maxBaggageBytes and passes a smaller one unchanged', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'all', upstream: upstream.url }] });

    await get(proxy.url, { baggage: `user=${'u'.repeat(8192)}` });
    await get(proxy.url, { baggage: 'user=alice,tier=gold' });

    expect(upstream.requests[0]!.headers.baggage).toBeUndefined();
    expect(upstream.requests[1]!.headers.baggage).toBe('user=alice,tier=gold');
  });
});
