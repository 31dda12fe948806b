/**
 * WebSocket faults through the proxy (traced sessions): refusals, unreachable and silent upstreams, broken
 * handshakes on either side, TCP connections dropped mid-session, slow consumers, idle timeout, shutdown.
 */
import { once } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import net, { type Socket } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { HIGH_WATER_MARK } from '../../src/proxy/ws-message-relay.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_WS_CLOSE_CODE,
  ATTR_WS_CLOSE_REASON,
  ATTR_WS_CLOSED_BY,
  ATTR_WS_UPSTREAM_MAX_QUEUED,
  ATTR_WS_UPSTREAM_MESSAGES,
  ATTR_WS_UPSTREAM_PAUSES,
} from '../../src/tracing/attributes.js';
import { listen } from '../helpers/listen.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';
import { closed, nextMessage, openClient, proxyIsIdle, rawHandshake, recordHops, sessionSpans, startWsUpstream, wsClient } from '../helpers/ws.js';

async function proxyTo(upstreamUrl: string, route: Record<string, unknown> = {}, options = {}) {
  return startProxy({ routes: [{ name: 'live', match: { pathPrefix: '/live' }, upstream: upstreamUrl, ...route }] }, options);
}

/**
 * An upstream whose 'upgrade' handler is `onUpgrade` (answers by hand, or never). Its sockets are read, so a
 * proxy that gives up on one is seen at once (`destroyed`), and destroyed with the test: Node's
 * closeAllConnections() does not reach upgraded sockets.
 */
async function startRawUpstream(onUpgrade: (req: IncomingMessage, socket: Socket) => void) {
  const server = http.createServer();
  const sockets: Socket[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.once('end', () => socket.destroy());
    socket.resume();
    onUpgrade(req, socket);
  });
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy();
  });
  return { ...(await listen(server)), sockets };
}

/** The status a `ws` client got instead of a 101, with the body. */
async function refusal(client: WebSocket): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const [, res] = (await once(client, 'unexpected-response')) as [http.ClientRequest, IncomingMessage];
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

function byKind(spans: Awaited<ReturnType<Awaited<ReturnType<typeof startProxy>>['spans']>>, kind: SpanKind) {
  return spans.filter((span) => span.kind === kind);
}

describe('WebSocket faults', () => {
  it('repeats an upstream refusal to the client (status, headers, chunked body) and the spans say so', async () => {
    const upstream = await startRawUpstream((_req, socket) => {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nx-reason: no-token\r\ntransfer-encoding: chunked\r\n\r\n' +
          '5\r\nno to\r\n4\r\nken!\r\n0\r\n\r\n',
      );
    });
    const proxy = await proxyTo(upstream.url);
    const client = wsClient(`${proxy.url}/live`);

    const answer = await refusal(client);
    expect(answer).toMatchObject({ status: 403, body: 'no token!' });
    expect(answer.headers['x-reason']).toBe('no-token');
    // Flags: sampled, plus Level 2's random-trace-id bit for a trace the proxy started.
    expect(answer.headers.traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    await proxyIsIdle(proxy.app);

    const spans = await proxy.spans();
    const [server] = byKind(spans, SpanKind.SERVER);
    const [clientSpan] = byKind(spans, SpanKind.CLIENT);
    expect(clientSpan!.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(403);
    expect(clientSpan!.attributes[ATTR_ERROR_TYPE]).toBe('403');
    expect(clientSpan!.status.code).toBe(SpanStatusCode.ERROR);
    expect(server!.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(403);
    expect(server!.status.code).toBe(SpanStatusCode.UNSET); // SPEC §3: a 4xx is the client's, not the proxy's
    expect(sessionSpans(spans)).toHaveLength(0);
  });

  it('answers 502 with a real status line when the upstream is unreachable, both spans errors', async () => {
    const gone = http.createServer();
    const { url } = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    const proxy = await proxyTo(url);

    const answer = await rawHandshake(proxy.url, '/live');
    expect(answer.head.split('\r\n')[0]).toBe('HTTP/1.1 502 Bad Gateway');
    expect(JSON.parse(answer.rest().toString())).toEqual({ error: 'connection_refused', message: 'the upstream refused the connection' });
    await waitFor(() => answer.socket.readableEnded, 2_000, 'the proxy to end the connection');
    answer.socket.end();
    await proxyIsIdle(proxy.app);

    const spans = await proxy.spans();
    for (const span of [...byKind(spans, SpanKind.SERVER), ...byKind(spans, SpanKind.CLIENT)]) {
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('connection_refused');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
  });

  it('answers 504 when the upstream does not answer the upgrade within timeoutMs, and drops that attempt', async () => {
    const upstream = await startRawUpstream(() => {});
    const proxy = await proxyTo(upstream.url, { timeoutMs: 150 });
    const client = wsClient(`${proxy.url}/live`);

    expect((await refusal(client)).status).toBe(504);
    await waitFor(() => upstream.sockets[0]?.destroyed, 2_000, 'the upstream attempt to be closed');
    await proxyIsIdle(proxy.app);
    const [server] = byKind(await proxy.spans(), SpanKind.SERVER);
    expect(server!.attributes[ATTR_ERROR_TYPE]).toBe('timeout');
  });

  it('answers 502 when the upstream answers 101 with a wrong accept key', async () => {
    const upstream = await startRawUpstream((_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n');
    });
    const proxy = await proxyTo(upstream.url);

    const answer = await rawHandshake(proxy.url, '/live');
    expect(answer.status).toBe(502);
    answer.socket.end();
    await proxyIsIdle(proxy.app);
    const [clientSpan] = byKind(await proxy.spans(), SpanKind.CLIENT);
    expect(clientSpan!.attributes[ATTR_ERROR_TYPE]).toBe('invalid_upstream_handshake');
  });

  it('refuses a handshake no WebSocket server would accept with 400, and never contacts the upstream', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);

    const noKey = await rawHandshake(proxy.url, '/live', { 'sec-websocket-key': null });
    expect(noKey.status).toBe(400);
    const badProtocols = await rawHandshake(proxy.url, '/live', { 'sec-websocket-protocol': 'a, a' });
    expect(badProtocols.status).toBe(400);
    const noRoute = await rawHandshake(proxy.url, '/elsewhere');
    expect(noRoute.status).toBe(404);
    expect(upstream.handshakes).toHaveLength(0);
    for (const answer of [noKey, badProtocols, noRoute]) answer.socket.end();
    await proxyIsIdle(proxy.app);
  });

  it('abandons the upstream attempt when the client leaves during the handshake', async () => {
    const upstream = await startRawUpstream(() => {});
    const records = recordHops();
    const proxy = await proxyTo(upstream.url, {}, { listener: records.listener });
    const client = wsClient(`${proxy.url}/live`);
    await waitFor(() => upstream.sockets.length === 1, 2_000, 'the upgrade to reach the upstream');

    client.terminate();
    await waitFor(() => upstream.sockets[0]!.destroyed, 2_000, 'the upstream attempt to be closed');
    await proxyIsIdle(proxy.app);
    expect(records.hops).toMatchObject([{ status: 0, errorType: 'client_aborted' }]);
    const [server] = byKind(await proxy.spans(), SpanKind.SERVER);
    expect(server!.attributes[ATTR_ERROR_TYPE]).toBe('client_aborted');
  });

  it('cuts the upstream when the client drops TCP mid-session; the session span is a client_aborted error', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(`${proxy.url}/live`);
    const server = await upstream.nextConnection();
    client.send('before the drop');
    await nextMessage(client);

    const upstreamSaw = closed(server);
    client.terminate();
    expect((await upstreamSaw)[0]).toBe(1006);
    await proxyIsIdle(proxy.app);

    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes).toMatchObject({ [ATTR_WS_CLOSED_BY]: 'client', [ATTR_WS_CLOSE_CODE]: 1006, [ATTR_ERROR_TYPE]: 'client_aborted' });
    expect(session!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('cuts the client when the upstream drops TCP mid-session; the session span is a connection_reset error', async () => {
    const upstream = await startWsUpstream();
    const records = recordHops();
    const proxy = await proxyTo(upstream.url, {}, { listener: records.listener });
    const client = await openClient(`${proxy.url}/live`);
    const server = await upstream.nextConnection();

    const clientSaw = closed(client);
    server.terminate();
    expect((await clientSaw)[0]).toBe(1006);
    await proxyIsIdle(proxy.app);

    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes).toMatchObject({ [ATTR_WS_CLOSED_BY]: 'upstream', [ATTR_WS_CLOSE_CODE]: 1006, [ATTR_ERROR_TYPE]: 'connection_reset' });
    expect(session!.status.code).toBe(SpanStatusCode.ERROR);
    expect(records.sessions).toMatchObject([{ closedBy: 'upstream', closeCode: 1006, errorType: 'connection_reset' }]);
  });

  it('closes a client that breaks the protocol with its code, cuts the upstream, and marks a protocol_error', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(`${proxy.url}/live`);
    const server = await upstream.nextConnection();
    const upstreamSaw = closed(server);
    const clientSaw = closed(client);

    client.send(Buffer.from([0xc3, 0x28]), { binary: false }); // a text frame that is not UTF-8
    expect((await clientSaw)[0]).toBe(1007);
    expect((await upstreamSaw)[0]).toBe(1006);
    await proxyIsIdle(proxy.app);
    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes).toMatchObject({ [ATTR_WS_CLOSED_BY]: 'client', [ATTR_ERROR_TYPE]: 'protocol_error' });
    expect(session!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('holds the upstream back while the client reads slowly, bounding what the proxy queues, and loses nothing', async () => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    const count = 96; // 24 MiB: far more than the high-water mark and the loopback socket buffers together
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(`${proxy.url}/live`);
    const server = await upstream.nextConnection();
    client.pause();

    let flushed = 0; // messages the upstream got out of its own queue into the socket
    for (let i = 0; i < count; i += 1) server.send(Buffer.concat([Buffer.from([i]), chunk]), () => (flushed += 1));
    // With the client paused, the proxy stops reading the upstream: the upstream's flushing stalls short
    // of the end. (Without backpressure it would flush all 24 MiB into the proxy's memory.)
    let seen = -1;
    let changedAt = Date.now();
    const held = await waitFor(() => {
      if (flushed !== seen) [seen, changedAt] = [flushed, Date.now()];
      return Date.now() - changedAt > 200 && flushed;
    }, 10_000, 'the upstream to be held back');
    expect(held).toBeLessThan(count);

    const received: number[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('message', (data: Buffer) => {
        received.push(data[0]!);
        if (received.length === count) resolve();
      });
    });
    client.resume();
    await all;
    expect(received).toEqual(Array.from({ length: count }, (_, i) => i));

    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);
    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes[ATTR_WS_UPSTREAM_MESSAGES]).toBe(count);
    expect(session!.attributes[ATTR_WS_UPSTREAM_PAUSES]).toBeGreaterThan(0);
    // Memory bound: never more than the mark plus what one socket read can hold (a few messages).
    expect(session!.attributes[ATTR_WS_UPSTREAM_MAX_QUEUED]).toBeLessThanOrEqual(HIGH_WATER_MARK + 4 * (chunk.length + 1));
  });

  it('closes a session with no traffic for wsIdleTimeoutMs with 1001 to both sides', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url, { wsIdleTimeoutMs: 150 });
    const client = await openClient(`${proxy.url}/live`);
    const server = await upstream.nextConnection();
    const upstreamSaw = closed(server);
    client.send('one message, then nothing');
    await nextMessage(client);

    expect(await closed(client)).toEqual([1001, 'idle timeout']);
    expect(await upstreamSaw).toEqual([1001, 'idle timeout']);
    await proxyIsIdle(proxy.app);
    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes).toMatchObject({ [ATTR_WS_CLOSED_BY]: 'proxy', [ATTR_WS_CLOSE_CODE]: 1001, [ATTR_WS_CLOSE_REASON]: 'idle timeout' });
    expect(session!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('closes open sessions with 1001 going away when the proxy shuts down, and refuses new upgrades', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(`${proxy.url}/live`);
    const server = await upstream.nextConnection();
    const clientSaw = closed(client);
    const upstreamSaw = closed(server);

    await proxy.app.close();
    expect(await clientSaw).toEqual([1001, 'going away']);
    expect(await upstreamSaw).toEqual([1001, 'going away']);
    await proxyIsIdle(proxy.app);
  });

  it('answers 503 to an upgrade that completes its request after draining began', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url, {}, {});
    const { hostname, port, host } = new URL(proxy.url);
    const socket = net.connect(Number(port), hostname);
    onTestFinished(() => {
      socket.destroy();
    });
    socket.write(`GET /live HTTP/1.1\r\nhost: ${host}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n`);
    await waitFor(() => proxy.app.openSockets() === 1, 2_000, 'the proxy to accept the connection');

    const closing = proxy.app.close();
    socket.write('sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n');
    const [answer] = (await once(socket, 'data')) as [Buffer];
    expect(answer.toString().split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    await closing;
    expect(upstream.handshakes).toHaveLength(0);
  });
});
