/**
 * WebSocket sessions that are not traced (unsampled) are piped byte for byte: the same routing, headers and
 * fault answers as relayed ones, nothing recorded, and the client and the upstream negotiate directly.
 */
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listen } from '../helpers/listen.js';
import { startProxy } from '../helpers/proxy.js';
import { closed, nextMessage, openClient, proxyIsIdle, rawHandshake, recordHops, startWsUpstream, wsClient } from '../helpers/ws.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

async function unsampledProxy(upstreamUrl: string, route: Record<string, unknown> = {}, options = {}) {
  return startProxy({ tracing: { sampleRate: 0 }, routes: [{ name: 'live', upstream: upstreamUrl, ...route }] }, options);
}

describe('piped (unsampled) WebSocket sessions', () => {
  it('carries text, binary and large messages, records no span, and still propagates an unsampled traceparent', async () => {
    const upstream = await startWsUpstream();
    const records = recordHops();
    const proxy = await unsampledProxy(upstream.url, {}, { listener: records.listener });
    const client = await openClient(`${proxy.url}/feed?x=1`);

    client.send('text');
    expect(await nextMessage(client)).toEqual([Buffer.from('text'), false]);
    const large = Buffer.alloc(3 * 1024 * 1024, 9);
    client.send(large);
    const [echoed, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect(echoed.equals(large)).toBe(true);
    expect(proxy.app.wsSessions()).toBe(1);

    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);
    expect(await proxy.spans()).toHaveLength(0);
    const { url, headers } = upstream.handshakes[0]!;
    expect(url).toBe('/feed?x=1');
    // Not sampled; the random-trace-id bit (W3C Level 2) is set for a trace the proxy started.
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/);
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(records.started()).toBe(1);
    const [session] = records.sessions;
    // A pipe sees TCP, not close frames: after a clean close handshake the server ends TCP first (RFC 6455 §7.1.1).
    expect(session).toMatchObject({ framesSeen: false, sampled: false, closedBy: 'upstream', closeCode: undefined, errorType: undefined });
    expect(session!.bytesFromClient).toBeGreaterThan(large.length);
    expect(session!.bytesFromUpstream).toBeGreaterThan(large.length);
  });

  it('is chosen by the incoming sampling decision too: the handshake goes upstream with the client key and offers unchanged', async () => {
    const upstream = await startWsUpstream(undefined, { perMessageDeflate: true, handleProtocols: () => 'b' });
    const proxy = await startProxy({ routes: [{ name: 'live', upstream: upstream.url }] });
    const answer = await rawHandshake(proxy.url, '/', {
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00`,
      'sec-websocket-protocol': 'a, b',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    });

    expect(answer.status).toBe(101);
    // The upstream's own answer, computed from the client's key: the pipe did not re-handshake.
    expect(answer.head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(answer.head).toContain('Sec-WebSocket-Protocol: b');
    expect(answer.head).toMatch(/Sec-WebSocket-Extensions: permessage-deflate/);
    expect(answer.head).toMatch(/traceresponse: 00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00/);
    const { headers } = upstream.handshakes[0]!;
    expect(headers['sec-websocket-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
    expect(headers['sec-websocket-protocol']).toBe('a, b');
    expect(headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits');
    expect(headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
    expect(headers.traceparent).not.toContain('00f067aa0ba902b7');

    answer.socket.end();
    await proxyIsIdle(proxy.app);
    expect(await proxy.spans()).toHaveLength(0);
  });

  it('repeats a refusal with a chunked body intact', async () => {
    const server = http.createServer();
    server.on('upgrade', (_req: IncomingMessage, socket: Socket) => {
      socket.end('HTTP/1.1 401 Unauthorized\r\ntransfer-encoding: chunked\r\nwww-authenticate: Bearer\r\n\r\n3\r\nwho\r\n4\r\n are\r\n0\r\n\r\n');
    });
    const upstream = await listen(server);
    const proxy = await unsampledProxy(upstream.url);
    const client = wsClient(proxy.url);

    const [, res] = (await once(client, 'unexpected-response')) as [http.ClientRequest, IncomingMessage];
    let body = '';
    for await (const chunk of res) body += String(chunk);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(body).toBe('who are');
    await proxyIsIdle(proxy.app);
  });

  it('answers 502 when the upstream is unreachable', async () => {
    const gone = http.createServer();
    const { url } = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    const proxy = await unsampledProxy(url);

    const answer = await rawHandshake(proxy.url, '/');
    expect(answer.head.split('\r\n')[0]).toBe('HTTP/1.1 502 Bad Gateway');
    answer.socket.end();
    await proxyIsIdle(proxy.app);
  });

  it('ends the other side when either side drops its connection', async () => {
    const upstream = await startWsUpstream();
    const records = recordHops();
    const proxy = await unsampledProxy(upstream.url, {}, { listener: records.listener });

    const first = await openClient(proxy.url);
    const firstUpstream = await upstream.nextConnection();
    const upstreamSaw = closed(firstUpstream);
    first.terminate();
    expect((await upstreamSaw)[0]).toBe(1006);

    const second = await openClient(proxy.url);
    const secondUpstream = await upstream.nextConnection();
    const clientSaw = closed(second);
    secondUpstream.terminate();
    expect((await clientSaw)[0]).toBe(1006);

    await proxyIsIdle(proxy.app);
    expect(records.sessions.map((s) => s.closedBy).sort()).toEqual(['client', 'upstream']);
  });

  it('cuts a session idle for wsIdleTimeoutMs', async () => {
    const upstream = await startWsUpstream();
    const records = recordHops();
    const proxy = await unsampledProxy(upstream.url, { wsIdleTimeoutMs: 150 }, { listener: records.listener });
    const client = await openClient(proxy.url);
    const server = await upstream.nextConnection();
    const upstreamSaw = closed(server);

    // The pipe carries frames it does not parse, so it cannot send a close frame: both sides see 1006.
    expect((await closed(client))[0]).toBe(1006);
    expect((await upstreamSaw)[0]).toBe(1006);
    await proxyIsIdle(proxy.app);
    expect(records.sessions).toMatchObject([{ closedBy: 'proxy', errorType: undefined }]);
  });

  it('cuts piped sessions when the drain deadline passes', async () => {
    const upstream = await startWsUpstream();
    const proxy = await startProxy({ drainTimeoutMs: 100, tracing: { sampleRate: 0 }, routes: [{ name: 'live', upstream: upstream.url }] });
    const client = await openClient(proxy.url);
    const server = await upstream.nextConnection();
    const clientSaw = closed(client);
    const upstreamSaw = closed(server);

    await proxy.app.close();
    expect((await clientSaw)[0]).toBe(1006);
    expect((await upstreamSaw)[0]).toBe(1006);
    await proxyIsIdle(proxy.app);
  });
});
