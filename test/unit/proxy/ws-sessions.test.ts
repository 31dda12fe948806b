import { describe, expect, it } from 'vitest';
import { createWsSessions } from '../../../src/proxy/ws-sessions.js';
import type { Tunnel } from '../../../src/proxy/ws-session.js';

const tunnel = (): Tunnel => ({ close: () => {}, terminate: () => {} }) as unknown as Tunnel;

describe('WebSocket sessions: idle()', () => {
  it('resolves at once with no session open, and only when the last open one leaves', async () => {
    const sessions = createWsSessions();
    await sessions.idle();
    const [a, b] = [tunnel(), tunnel()];
    sessions.add(a);
    sessions.add(b);
    let idle = false;
    const waited = sessions.idle().then(() => (idle = true));
    sessions.delete(a);
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    sessions.delete(b);
    await waited;
    expect(idle).toBe(true);
  });
});
