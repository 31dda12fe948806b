/**
 * An 'upgrade' listener makes Node hand every request with an Upgrade header to it. Requests asking for
 * anything but WebSocket (curl --http2 sends `Upgrade: h2c`) must still be served as plain HTTP/1.1.
 */
import { describe, expect, it } from 'vitest';
import { startProxy } from '../helpers/proxy.js';
import { startUpstream } from '../helpers/upstream.js';
import { proxyIsIdle, rawHandshake } from '../helpers/ws.js';

const H2C = { upgrade: 'h2c', connection: 'Upgrade, HTTP2-Settings', 'http2-settings': 'AAMAAABkAAQAoAAAAAIAAAAA', 'sec-websocket-key': null, 'sec-websocket-version': null };

describe('upgrades to other protocols', () => {
  it('serves an h2c upgrade request as a plain HTTP/1.1 request, the upgrade dropped', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'web', upstream: upstream.url }] });

    const answer = await rawHandshake(proxy.url, '/page', H2C);
    expect(answer.head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(answer.head.toLowerCase()).toContain('\r\nconnection: close');
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.url).toBe('/page');
    expect(upstream.requests[0]!.headers.upgrade).toBeUndefined();
    expect(upstream.requests[0]!.headers['http2-settings']).toBeUndefined();
    answer.socket.end();
    await proxyIsIdle(proxy.app);
    const spans = await proxy.spans();
    expect(spans).toHaveLength(2);
  });

  it('answers 400 to one that carries a body, which Node no longer parses after an upgrade', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy({ routes: [{ name: 'web', upstream: upstream.url }] });

    const answer = await rawHandshake(proxy.url, '/form', { ...H2C, 'content-length': '5' }, 'POST');
    expect(answer.status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
    answer.socket.end();
    await proxyIsIdle(proxy.app);
  });
});
