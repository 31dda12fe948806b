/**
 * SPEC §1: a drain flushes every span, a WebSocket session's too. Through the real CLI in one process: a
 * session the client closes as the proxy is told to stop still has its session span exported.
 */
import { describe, expect, it } from 'vitest';
import { startCli, writeConfig } from '../helpers/cli.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';
import { closed, openClient, startWsUpstream } from '../helpers/ws.js';

describe('WebSocket session at shutdown', () => {
  it('exports the session span of a session that closes as SIGTERM arrives (one process)', async () => {
    const upstream = await startWsUpstream();
    const zipkin = await startZipkinReceiver();
    const config = writeConfig({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      tracing: { exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }] },
      routes: [{ name: 'live', upstream: upstream.url }],
    });
    const cli = await startCli(config, {}, ['--workers', '1']);
    const client = await openClient(`ws://${cli.proxy}/live`);
    const clientSaw = closed(client);
    client.close(1001, 'client stopping');
    cli.child.kill('SIGTERM');
    expect(await clientSaw).toEqual([1001, 'client stopping']);
    expect(await cli.exited).toBe(0);
    expect(zipkin.spans.filter((span) => span.name === 'websocket /').map((span) => span.tags?.['hoptrace.websocket.close.code'])).toEqual(['1001']);
  });
});
