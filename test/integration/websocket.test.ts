/**
 * WebSocket sessions through the proxy, traced (sampled) and therefore relayed message by message: real
 * `ws` upstreams and clients on 127.0.0.1, assertions on what crossed the wire and on the exported spans.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_WS_CLIENT_BYTES,
  ATTR_WS_CLIENT_MESSAGES,
  ATTR_WS_CLOSE_CODE,
  ATTR_WS_CLOSE_REASON,
  ATTR_WS_CLOSED_BY,
  ATTR_WS_EXTENSIONS,
  ATTR_WS_SUBPROTOCOL,
  ATTR_WS_UPSTREAM_BYTES,
  ATTR_WS_UPSTREAM_MESSAGES,
  ATTR_ERROR_TYPE,
  ATTR_URL_FULL,
  ATTR_URL_QUERY,
} from '../../src/tracing/attributes.js';
import { startProxy } from '../helpers/proxy.js';
import { closed, nextMessage, openClient, proxyIsIdle, rawHandshake, recordHops, sessionSpans, startWsUpstream, wsClient } from '../helpers/ws.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

async function proxyTo(upstreamUrl: string, route: Record<string, unknown> = {}, options = {}) {
  return startProxy({ routes: [{ name: 'live', upstream: upstreamUrl, ...route }] }, options);
}

describe('relayed WebSocket sessions', () => {
  it('relays text and binary messages both ways, each keeping its type', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(`${proxy.url}/feed`);

    client.send('héllo');
    expect(await nextMessage(client)).toEqual([Buffer.from('héllo'), false]);
    const binary = Buffer.from([0, 1, 2, 254, 255]);
    client.send(binary);
    expect(await nextMessage(client)).toEqual([binary, true]);

    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);
  });

  it('relays a message of several megabytes intact in both directions', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(proxy.url);
    const large = randomBytes(6 * 1024 * 1024);

    client.send(large);
    const [echoed, isBinary] = await nextMessage(client);
    expect(isBinary).toBe(true);
    expect(echoed.equals(large)).toBe(true);

    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);
    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes[ATTR_WS_CLIENT_BYTES]).toBe(large.length);
    expect(session!.attributes[ATTR_WS_UPSTREAM_BYTES]).toBe(large.length);
  });

  it('carries 50 concurrent sessions, each getting only its own messages', async () => {
    const upstream = await startWsUpstream();
    const records = recordHops();
    const proxy = await proxyTo(upstream.url, {}, { listener: records.listener });
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => openClient(`${proxy.url}/s/${i}`)));
    expect(proxy.app.wsSessions()).toBe(50);

    const replies = await Promise.all(
      clients.map(async (client, i) => {
        const reply = nextMessage(client);
        client.send(`session ${i}`);
        return String((await reply)[0]);
      }),
    );
    expect(replies).toEqual(clients.map((_, i) => `session ${i}`));

    await Promise.all(clients.map((client) => (client.close(1000), closed(client))));
    await proxyIsIdle(proxy.app);
    expect(records.started()).toBe(50);
    expect(records.sessions).toHaveLength(50);
    expect(records.sessions.every((s) => s.messagesFromClient === 1 && s.messagesFromUpstream === 1 && s.closeCode === 1000)).toBe(true);
    expect(sessionSpans(await proxy.spans())).toHaveLength(50);
  });

  it('gives the client the subprotocol the upstream chose from the client offer', async () => {
    const upstream = await startWsUpstream(undefined, { handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false) });
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(proxy.url, ['chat.v1', 'chat.v2']);

    expect(client.protocol).toBe('chat.v2');
    expect(upstream.handshakes[0]!.headers['sec-websocket-protocol']).toBe('chat.v1,chat.v2');
    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);
    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes[ATTR_WS_SUBPROTOCOL]).toBe('chat.v2');
  });

  it('offers compression upstream only when the client does, and the client gets it only when the upstream accepts', async () => {
    const compressing = await startWsUpstream(undefined, { perMessageDeflate: true });
    const plain = await startWsUpstream(undefined, { perMessageDeflate: false });
    const proxy = await startProxy({
      routes: [
        { name: 'compressing', match: { pathPrefix: '/z' }, upstream: compressing.url },
        { name: 'plain', upstream: plain.url },
      ],
    });
    const text = 'a compressible line of text '.repeat(200);

    const deflating = await openClient(`${proxy.url}/z`, undefined, { perMessageDeflate: true });
    expect(compressing.handshakes[0]!.headers['sec-websocket-extensions']).toContain('permessage-deflate');
    expect(deflating.extensions).toContain('permessage-deflate');
    deflating.send(text);
    expect(String((await nextMessage(deflating))[0])).toBe(text);

    const notOffering = await openClient(`${proxy.url}/z`, undefined, { perMessageDeflate: false });
    expect(compressing.handshakes[1]!.headers['sec-websocket-extensions']).toBeUndefined();
    expect(notOffering.extensions).toBe('');

    const refused = await openClient(`${proxy.url}/p`, undefined, { perMessageDeflate: true });
    expect(plain.handshakes[0]!.headers['sec-websocket-extensions']).toContain('permessage-deflate');
    expect(refused.extensions).toBe('');
    refused.send(text);
    expect(String((await nextMessage(refused))[0])).toBe(text);

    for (const client of [deflating, notOffering, refused]) {
      client.close(1000);
      await closed(client);
    }
    await proxyIsIdle(proxy.app);
    const extensions = sessionSpans(await proxy.spans()).map((span) => span.attributes[ATTR_WS_EXTENSIONS]);
    expect(extensions.filter((value) => String(value).includes('permessage-deflate'))).toHaveLength(1);
  });

  it('continues the trace: the upstream handshake carries traceparent with the CLIENT span id', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url, { match: { pathPrefix: '/live' } });
    const client = wsClient(`${proxy.url}/live/updates`, undefined, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=1' },
    });
    const upgraded = once(client, 'upgrade');
    await once(client, 'open');
    const [response] = (await upgraded) as [IncomingMessage];
    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);

    const spans = await proxy.spans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const clientSpan = spans.find((span) => span.kind === SpanKind.CLIENT)!;
    const [session] = sessionSpans(spans);
    expect(server.name).toBe('GET /live');
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(server.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(101);
    expect(clientSpan.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(clientSpan.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]).toBe(101);
    expect(session!.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(session!.spanContext().traceId).toBe(TRACE_ID);

    const headers = upstream.handshakes[0]!.headers;
    expect(headers.traceparent).toBe(`00-${TRACE_ID}-${clientSpan.spanContext().spanId}-01`);
    expect(headers.tracestate).toBe('vendor=1');
    expect(response.headers.traceresponse).toBe(`00-${TRACE_ID}-${server.spanContext().spanId}-01`);
  });

  it('passes end-to-end headers both ways, drops hop-by-hop ones and adds X-Forwarded-*', async () => {
    const upstream = await startWsUpstream();
    upstream.wss.on('headers', (lines) => lines.push('X-Upstream: yes', 'Set-Cookie: sid=1'));
    const proxy = await proxyTo(upstream.url, { match: { pathPrefix: '/api' }, stripPrefix: true });
    const host = new URL(proxy.url).host;
    const answer = await rawHandshake(proxy.url, '/api/stream?topic=a', {
      connection: 'Upgrade, x-hop',
      'x-hop': 'secret',
      'keep-alive': 'timeout=5',
      'x-tenant': 'acme',
      'x-forwarded-for': '10.0.0.1',
    });

    expect(answer.status).toBe(101);
    expect(answer.head).toContain('\r\nX-Upstream: yes\r\n');
    expect(answer.head).toContain('\r\nSet-Cookie: sid=1\r\n');
    expect(answer.head).toContain('\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
    const { url, headers } = upstream.handshakes[0]!;
    expect(url).toBe('/stream?topic=a');
    expect(headers['x-tenant']).toBe('acme');
    expect(headers['x-hop']).toBeUndefined();
    expect(headers['keep-alive']).toBeUndefined();
    expect(headers.host).toBe(host);
    expect(headers['x-forwarded-for']).toBe('10.0.0.1,127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe(host);
    expect(headers['x-forwarded-port']).toBe(host.split(':')[1]);

    answer.socket.end();
    await proxyIsIdle(proxy.app);
  });

  it('records on the handshake spans only the headers and query values the route captures', async () => {
    const upstream = await startWsUpstream();
    upstream.wss.on('headers', (lines) => lines.push('X-Upstream: yes', 'X-Other: no'));
    const proxy = await proxyTo(upstream.url, {
      capture: { requestHeaders: ['x-tenant', 'cookie'], responseHeaders: ['x-upstream'], queryParams: ['topic'] },
    });
    const client = await openClient(`${proxy.url}/feed?topic=a&token=secret`, undefined, {
      headers: { 'x-tenant': 'acme', 'x-private': 'p', cookie: 'sid=1' },
    });
    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);

    const spans = await proxy.spans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const clientSpan = spans.find((span) => span.kind === SpanKind.CLIENT)!;
    for (const span of [server, clientSpan]) {
      expect(span.attributes['http.request.header.x-tenant']).toEqual(['acme']);
      expect(span.attributes['http.response.header.x-upstream']).toEqual(['yes']);
      expect(Object.keys(span.attributes).filter((key) => key.includes('header.'))).toHaveLength(2);
    }
    expect(server.attributes[ATTR_URL_QUERY]).toBe('topic=a&token=REDACTED');
    expect(String(clientSpan.attributes[ATTR_URL_FULL])).toMatch(/\/feed\?topic=a&token=REDACTED$/);
    expect(upstream.handshakes[0]!.url).toBe('/feed?topic=a&token=secret');
  });

  it('screens upgrades against limits like any request: an over-long URL gets 414 and goes nowhere', async () => {
    const upstream = await startWsUpstream();
    const proxy = await startProxy({ limits: { maxUrlLength: 64 }, routes: [{ name: 'live', upstream: upstream.url }] });

    const answer = await rawHandshake(proxy.url, `/feed?${'x'.repeat(100)}`);
    expect(answer.status).toBe(414);
    expect(upstream.handshakes).toHaveLength(0);
    answer.socket.end();
    await proxyIsIdle(proxy.app);
  });

  it('passes pings and pongs between the peers', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(proxy.url);
    const server = await upstream.nextConnection();

    const pinged = once(server, 'ping');
    const ponged = once(client, 'pong');
    client.ping('are you there');
    expect(String((await pinged)[0])).toBe('are you there');
    expect(String((await ponged)[0])).toBe('are you there');

    client.close(1000);
    await closed(client);
    await proxyIsIdle(proxy.app);
  });

  it('exports the session span with message and byte counts per direction and the close code, reason and side', async () => {
    const upstream = await startWsUpstream((ws) => ws.on('message', () => ws.send(Buffer.alloc(100))));
    const records = recordHops();
    const proxy = await proxyTo(upstream.url, { match: { pathPrefix: '/feed' } }, { listener: records.listener });
    const client = await openClient(`${proxy.url}/feed`);
    const server = await upstream.nextConnection();

    for (const message of ['one', 'two', 'three']) {
      client.send(message);
      await nextMessage(client);
    }
    const upstreamSaw = closed(server);
    client.close(4001, 'user left');
    expect(await closed(client)).toEqual([4001, 'user left']);
    expect(await upstreamSaw).toEqual([4001, 'user left']);
    await proxyIsIdle(proxy.app);

    const [session] = sessionSpans(await proxy.spans());
    expect(session!.name).toBe('websocket /feed');
    expect(session!.kind).toBe(SpanKind.INTERNAL);
    expect(session!.attributes).toMatchObject({
      [ATTR_WS_CLIENT_MESSAGES]: 3,
      [ATTR_WS_CLIENT_BYTES]: 3 + 3 + 5,
      [ATTR_WS_UPSTREAM_MESSAGES]: 3,
      [ATTR_WS_UPSTREAM_BYTES]: 300,
      [ATTR_WS_CLOSE_CODE]: 4001,
      [ATTR_WS_CLOSE_REASON]: 'user left',
      [ATTR_WS_CLOSED_BY]: 'client',
    });
    expect(session!.status.code).toBe(SpanStatusCode.UNSET);

    expect(records.hops).toMatchObject([{ route: 'live', status: 101, method: 'GET', path: '/feed' }]);
    expect(records.sessions).toMatchObject([
      { route: 'live', framesSeen: true, messagesFromClient: 3, bytesFromClient: 11, messagesFromUpstream: 3, bytesFromUpstream: 300, closeCode: 4001, closedBy: 'client', errorType: undefined, sampled: true },
    ]);
  });

  it('passes the upstream close code to the client and marks an error code as an error', async () => {
    const upstream = await startWsUpstream();
    const proxy = await proxyTo(upstream.url);
    const client = await openClient(proxy.url);
    const server = await upstream.nextConnection();

    server.close(1011, 'internal error');
    expect(await closed(client)).toEqual([1011, 'internal error']);
    await proxyIsIdle(proxy.app);

    const [session] = sessionSpans(await proxy.spans());
    expect(session!.attributes[ATTR_WS_CLOSED_BY]).toBe('upstream');
    expect(session!.attributes[ATTR_WS_CLOSE_CODE]).toBe(1011);
    expect(session!.attributes[ATTR_ERROR_TYPE]).toBe('1011');
    expect(session!.status.code).toBe(SpanStatusCode.ERROR);
  });
});
