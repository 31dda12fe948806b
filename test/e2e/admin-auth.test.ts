/**
 * The admin port beyond loopback (SPEC §2), through the real CLI: it refuses to start without
 * HOPTRACE_ADMIN_TOKEN, and with it every admin request but the probes needs the bearer token.
 */
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeConfig } from '../helpers/cli.js';

const TOKEN = 'admin-token-7f3a9c';
const MISSING =
  'hoptrace: cannot start: admin listens on 0.0.0.0:0, which is not a loopback address: set HOPTRACE_ADMIN_TOKEN to the token admin requests must send as "Authorization: Bearer <token>", or bind admin to 127.0.0.1\n';

const config = () => writeConfig({ listen: '127.0.0.1:0', admin: '0.0.0.0:0', routes: [{ name: 'r', upstream: 'http://127.0.0.1:1' }] });

/** Status, WWW-Authenticate and body of one admin request, sent to the admin port over loopback. */
async function adminGet(admin: string, path: string, authorization?: string): Promise<[number, string | null, string]> {
  const port = admin.slice(admin.lastIndexOf(':') + 1);
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: authorization === undefined ? {} : { authorization } });
  return [res.status, res.headers.get('www-authenticate'), await res.text()];
}

describe('admin port beyond loopback', () => {
  it.each([
    ['missing', {}],
    ['empty', { HOPTRACE_ADMIN_TOKEN: '' }],
    ['blank', { HOPTRACE_ADMIN_TOKEN: '  ' }],
  ])('refuses to start when HOPTRACE_ADMIN_TOKEN is %s, exit 1', async (_what, env) => {
    const run = runCli(['--config', config()], env);

    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(MISSING);
    expect(run.stdout()).toBe('');
  });

  it('answers 401 without the token or with a wrong one, lets the token through, and keeps the probes open', async () => {
    const cli = await startCli(config(), { HOPTRACE_ADMIN_TOKEN: TOKEN, HOPTRACE_LOG_LEVEL: 'trace' });
    const refused = [401, 'Bearer realm="hoptrace"', '{"error":"unauthorized"}'];

    expect(cli.admin).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(await adminGet(cli.admin, '/healthz')).toEqual([200, null, 'ok\n']);
    expect(await adminGet(cli.admin, '/readyz')).toEqual([200, null, 'ready\n']);
    expect(await adminGet(cli.admin, '/healthz', `Bearer ${TOKEN}`)).toEqual([200, null, 'ok\n']);
    // Without the token nothing is learnt, not even whether a path exists.
    expect(await adminGet(cli.admin, '/no-such-path')).toEqual(refused);
    expect(await adminGet(cli.admin, '/no-such-path', 'Bearer wrong-token')).toEqual(refused);
    expect(await adminGet(cli.admin, '/no-such-path', `Basic ${TOKEN}`)).toEqual(refused);
    expect(await adminGet(cli.admin, '/no-such-path', `Bearer ${TOKEN}x`)).toEqual(refused);
    expect((await adminGet(cli.admin, '/no-such-path', `Bearer ${TOKEN}`))[0]).toBe(404);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout()).not.toContain(TOKEN);
    expect(cli.stderr()).not.toContain(TOKEN);
  });

  it('needs no token on loopback', async () => {
    const path = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'r', upstream: 'http://127.0.0.1:1' }] });
    const cli = await startCli(path);

    expect((await adminGet(cli.admin, '/no-such-path'))[0]).toBe(404);
  });
});
