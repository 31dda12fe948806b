/**
 * WebSocket sessions to https (wss) upstreams follow the HTTP path's TLS rules: the route's upstreamCa is
 * trusted, certificates are verified, and SNI names the upstream, never the client's Host header.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '../../src/tracing/attributes.js';
import { startProxy } from '../helpers/proxy.js';
import { createTestPki } from '../helpers/tls.js';
import { closed, nextMessage, openClient, proxyIsIdle, rawHandshake, startWsUpstream } from '../helpers/ws.js';

describe('WebSocket sessions to wss upstreams', () => {
  for (const [mode, sampleRate] of [['relayed (traced)', 1], ['piped (untraced)', 0]] as const) {
    it(`${mode}: trusts upstreamCa and names the upstream in SNI whatever Host the client sends`, async () => {
      const pki = createTestPki();
      const upstream = await startWsUpstream(undefined, {}, pki.issue('upstream'));
      const proxy = await startProxy({
        tracing: { sampleRate },
        routes: [{ name: 'secure', upstream: `https://localhost:${upstream.port}`, upstreamCa: pki.caPath }],
      });
      const client = await openClient(proxy.url, undefined, { headers: { host: 'evil.example' } });

      client.send('over tls');
      expect(String((await nextMessage(client))[0])).toBe('over tls');
      expect(upstream.servernames).toEqual(['localhost']);
      expect(upstream.handshakes[0]!.headers.host).toBe('evil.example');
      client.close(1000);
      await closed(client);
      await proxyIsIdle(proxy.app);
    });
  }

  it('answers 502 tls_failure when the upstream certificate is not trusted', async () => {
    const pki = createTestPki();
    const upstream = await startWsUpstream(undefined, {}, pki.issue('upstream'));
    const proxy = await startProxy({ routes: [{ name: 'secure', upstream: `https://localhost:${upstream.port}` }] });

    const answer = await rawHandshake(proxy.url, '/');
    expect(answer.status).toBe(502);
    expect(upstream.handshakes).toHaveLength(0);
    answer.socket.end();
    await proxyIsIdle(proxy.app);
    const [clientSpan] = (await proxy.spans()).filter((span) => span.kind === SpanKind.CLIENT);
    expect(clientSpan!.attributes[ATTR_ERROR_TYPE]).toBe('tls_failure');
  });
});
