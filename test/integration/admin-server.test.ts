import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startProxy } from '../helpers/proxy.js';

function status(url: string, path: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .request({ host: hostname, port, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject)
      .end();
  });
}

describe('admin server', () => {
  it('answers 400 to a request target that is no URL, and keeps serving', async () => {
    const proxy = await startProxy({ routes: [{ name: 'r', upstream: 'http://127.0.0.1:1' }] });

    expect(await status(proxy.adminUrl, 'http://[/healthz')).toBe(400);
    expect(await status(proxy.adminUrl, '/healthz')).toBe(200);
  });
});
