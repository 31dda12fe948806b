/**
 * A WebSocket session through two hoptraces (an edge proxy in front of a host's own, as in the demo): each
 * hop records its own session span, in the one trace the edge started.
 */
import { describe, expect, it } from 'vitest';
import { startProxy } from '../helpers/proxy.js';
import { closed, echo, nextMessage, openClient, proxyIsIdle, sessionSpans, startWsUpstream } from '../helpers/ws.js';

describe('WebSocket through two hoptraces', () => {
  it('gives each hop its session span, in one trace', async () => {
    const upstream = await startWsUpstream(echo);
    const host = await startProxy({ routes: [{ name: 'feed', match: { pathPrefix: '/feed' }, upstream: upstream.url }] });
    const edge = await startProxy({ routes: [{ name: 'feed', match: { pathPrefix: '/feed' }, upstream: host.url }] });
    const client = await openClient(`${edge.url}/feed/live`);
    client.send('tick?');
    expect(String((await nextMessage(client))[0])).toBe('tick?');
    client.close(1000, 'session over');
    await closed(client);
    await proxyIsIdle(edge.app);
    await proxyIsIdle(host.app);

    const [atEdge] = sessionSpans(await edge.spans());
    const [atHost] = sessionSpans(await host.spans());
    expect(atEdge?.name).toBe('websocket /feed');
    expect(atHost?.name).toBe('websocket /feed');
    expect(atHost!.spanContext().traceId).toBe(atEdge!.spanContext().traceId);
    expect([atEdge!.attributes['hoptrace.websocket.close.code'], atHost!.attributes['hoptrace.websocket.close.code']]).toEqual([1000, 1000]);
  });
});
