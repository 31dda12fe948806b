import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { adminGuardFor, isLoopback } from '../../../src/admin/auth.js';
import { AdminTokenMissingError, HOP_ERR } from '../../../src/errors.js';
import { listen } from '../../helpers/listen.js';

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['admin.internal', false],
    ['127.example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe('adminGuardFor', () => {
  it('needs no token on loopback', () => {
    expect(adminGuardFor({ host: '127.0.0.1', port: 9901 }, undefined)).toBeUndefined();
  });

  it.each([undefined, '', '   '])('refuses a non-loopback admin without a token (%j)', (token) => {
    let error: unknown;
    try {
      adminGuardFor({ host: '0.0.0.0', port: 9901 }, token);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AdminTokenMissingError);
    expect((error as AdminTokenMissingError).code).toBe(HOP_ERR.ADMIN_TOKEN_MISSING);
  });

  it('lets through the exact token with any case of the scheme, and answers 401 to everything else', async () => {
    const guard = adminGuardFor({ host: '::', port: 0 }, ' s3cret-token\n')!;
    const server = http.createServer((req, res) => {
      if (guard(req, res, new URL(req.url ?? '/', 'http://x').pathname)) res.end('in');
    });
    const { url } = await listen(server);
    const status = async (authorization?: string, path = '/metrics'): Promise<[number, string | null, string]> => {
      const res = await fetch(`${url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
      return [res.status, res.headers.get('www-authenticate'), await res.text()];
    };

    expect(await status('Bearer s3cret-token')).toEqual([200, null, 'in']);
    expect(await status('bearer s3cret-token')).toEqual([200, null, 'in']);
    expect(await status(undefined, '/healthz')).toEqual([200, null, 'in']);
    expect(await status(undefined, '/readyz')).toEqual([200, null, 'in']);
    const refused = [401, 'Bearer realm="hoptrace"', '{"error":"unauthorized"}'];
    expect(await status()).toEqual(refused);
    expect(await status('Bearer s3cret-toke')).toEqual(refused);
    expect(await status('Bearer s3cret-token2')).toEqual(refused);
    expect(await status('Basic s3cret-token')).toEqual(refused);
    expect(await status('s3cret-token')).toEqual(refused);
    expect(await status('Bearer')).toEqual(refused);
  });

  it('signs a browser in with /?token= into an HttpOnly session cookie that never holds the token', async () => {
    const guard = adminGuardFor({ host: '0.0.0.0', port: 0 }, 'browser-token')!;
    const server = http.createServer((req, res) => {
      if (guard(req, res, new URL(req.url ?? '/', 'http://x').pathname)) res.end('in');
    });
    const { url } = await listen(server);

    expect((await fetch(`${url}/?token=wrong`, { redirect: 'manual' })).status).toBe(401);
    const signIn = await fetch(`${url}/?token=browser-token`, { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/');
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^hoptrace_admin=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(cookie).not.toContain('browser-token');
    const session = cookie.split(';')[0]!;

    for (const path of ['/', '/api/v2/services', '/metrics']) {
      const res = await fetch(`${url}${path}`, { headers: { cookie: `other=1; ${session}` } });
      expect(res.status).toBe(200);
    }
    const tampered = `${session.slice(0, -1)}${session.endsWith('0') ? '1' : '0'}`;
    expect((await fetch(`${url}/metrics`, { headers: { cookie: tampered } })).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { cookie: 'hoptrace_admin=zz' } })).status).toBe(401);
    // The token query only signs in on the page itself, not on every path.
    expect((await fetch(`${url}/metrics?token=browser-token`, { redirect: 'manual' })).status).toBe(401);
  });
});
