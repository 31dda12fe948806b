/** /metrics counts the WebSocket sessions open through the proxy (hoptrace_websocket_active_sessions). */
import { describe, expect, it } from 'vitest';
import { startProxy } from '../helpers/proxy.js';
import { closed, openClient, startWsUpstream } from '../helpers/ws.js';
import { waitFor } from '../helpers/wait.js';

async function activeSessions(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('hoptrace_websocket_active_sessions '));
  if (line === undefined) throw new Error('no hoptrace_websocket_active_sessions in /metrics');
  return Number(line.split(' ')[1]);
}

describe('WebSocket session gauge', () => {
  it('rises with open sessions and falls when they close', async () => {
    const upstream = await startWsUpstream();
    const proxy = await startProxy({ routes: [{ name: 'feed', upstream: upstream.url }] });
    expect(await activeSessions(proxy.adminUrl)).toBe(0);
    const a = await openClient(`${proxy.url}/feed`);
    const b = await openClient(`${proxy.url}/feed`);
    await waitFor(async () => (await activeSessions(proxy.adminUrl)) === 2, 5_000, 'two sessions in /metrics');
    const done = closed(a);
    a.close(1000);
    await done;
    await waitFor(async () => (await activeSessions(proxy.adminUrl)) === 1, 5_000, 'one session left in /metrics');
    b.close(1000);
  });
});
