import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';

const route = { name: 'r', upstream: 'https://billing.internal:8443' };

function issues(json: unknown): readonly string[] {
  try {
    buildConfig(json);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('security fields of routes.json', () => {
  it('fills in the limits defaults and leaves tls off', () => {
    const config = buildConfig({ routes: [route] });
    expect(config.tls).toBeUndefined();
    expect(config.limits).toEqual({
      maxHeaderBytes: 16384,
      maxHeaderCount: 100,
      maxUrlLength: 8192,
      maxConnections: 10000,
      maxTracestateLength: 512,
      maxBaggageBytes: 8192,
    });
    expect(config.routes[0]!.capture).toEqual({ requestHeaders: [], responseHeaders: [], queryParams: [] });
  });

  it('takes the SPEC example as written', () => {
    const config = buildConfig({
      listen: '0.0.0.0:8443',
      tls: { cert: '/etc/hoptrace/cert.pem', key: '/etc/hoptrace/key.pem' },
      limits: { maxConnections: 500 },
      routes: [
        {
          name: 'billing',
          match: { pathPrefix: '/billing' },
          upstream: 'https://billing.internal:8443',
          upstreamCa: '/etc/hoptrace/internal-ca.pem',
          capture: { requestHeaders: ['x-tenant'], responseHeaders: ['x-cache'], queryParams: ['page'] },
        },
      ],
    });
    expect(config.tls).toEqual({ cert: '/etc/hoptrace/cert.pem', key: '/etc/hoptrace/key.pem' });
    expect(config.limits.maxConnections).toBe(500);
    expect(config.limits.maxUrlLength).toBe(8192);
    expect(config.routes[0]!.upstreamCa).toBe('/etc/hoptrace/internal-ca.pem');
    expect(config.routes[0]!.capture).toEqual({ requestHeaders: ['x-tenant'], responseHeaders: ['x-cache'], queryParams: ['page'] });
  });

  it('drops authorization, proxy-authorization, cookie and set-cookie from capture lists, lower-casing the rest', () => {
    const config = buildConfig({
      routes: [
        {
          ...route,
          capture: {
            requestHeaders: ['Authorization', 'X-Tenant', 'COOKIE', 'Proxy-Authorization', 'x-tenant'],
            responseHeaders: ['Set-Cookie', 'X-Cache', 'set-cookie'],
          },
        },
      ],
    });
    expect(config.routes[0]!.capture.requestHeaders).toEqual(['x-tenant']);
    expect(config.routes[0]!.capture.responseHeaders).toEqual(['x-cache']);
  });

  it('reports each wrong security field with its path', () => {
    // Sorted: the order follows the schema's, which is not what this test is about.
    expect(
      issues({
        tls: { cert: '', ca: 'x' },
        limits: { maxConnections: 0, maxTracestateLength: 100, maxHeaderCount: 1.5, maxSockets: 1 },
        routes: [{ ...route, upstreamCa: 7, capture: { requestHeaders: ['x tenant'], queryParams: 'page', cookies: true } }],
      }).toSorted(),
    ).toEqual([
      'tls.key: is required',
      'tls.ca: is not a known field',
      'tls.cert: must NOT have fewer than 1 characters',
      'limits.maxSockets: is not a known field',
      'limits.maxHeaderCount: must be integer',
      'limits.maxConnections: must be >= 1',
      'limits.maxTracestateLength: must be >= 512',
      'routes[0].upstreamCa: must be string',
      'routes[0].capture.cookies: is not a known field',
      'routes[0].capture.requestHeaders[0]: must be an HTTP header name',
      'routes[0].capture.queryParams: must be array',
    ].sort());
  });
});
