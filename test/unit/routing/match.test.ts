import { describe, expect, it } from 'vitest';
import { compileMatch, hostWithoutPort, pathHasPrefix } from '../../../src/routing/match.js';
import { createRouteTable } from '../../../src/routing/route-table.js';
import { buildConfig } from '../../../src/config/index.js';

describe('route matching', () => {
  it.each([
    ['/api', '/api', true],
    ['/api', '/api/x', true],
    ['/api', '/api/', true],
    ['/api', '/apix', false],
    ['/api', '/ap', false],
    ['/api/v1', '/api/v1/orders', true],
    ['/api/v1', '/api/v10', false],
  ])('prefix %s against path %s → %s', (prefix, path, expected) => {
    expect(pathHasPrefix(path, prefix)).toBe(expected);
  });

  it.each([
    ['orders.internal', 'orders.internal'],
    ['Orders.Internal:8080', 'orders.internal'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['', ''],
  ])('host header %s is matched as %s', (header, host) => {
    expect(hostWithoutPort(header)).toBe(host);
  });

  it('matches exact and *.suffix hosts and methods', () => {
    const exact = compileMatch({ host: 'a.example' });
    expect(exact('GET', 'a.example', '/')).toBe(true);
    expect(exact('GET', 'b.a.example', '/')).toBe(false);
    const wildcard = compileMatch({ host: '*.example', methods: ['GET', 'HEAD'] });
    expect(wildcard('GET', 'a.example', '/')).toBe(true);
    expect(wildcard('HEAD', 'x.y.example', '/')).toBe(true);
    expect(wildcard('GET', 'example', '/')).toBe(false);
    expect(wildcard('GET', 'notexample', '/')).toBe(false);
    expect(wildcard('POST', 'a.example', '/')).toBe(false);
  });

  it('lets the first matching route win', () => {
    const config = buildConfig({
      routes: [
        { name: 'narrow', match: { pathPrefix: '/api/admin' }, upstream: 'http://a' },
        { name: 'wide', match: { pathPrefix: '/api' }, upstream: 'http://b' },
        { name: 'all', upstream: 'http://c' },
      ],
    });
    const table = createRouteTable(config.routes);
    expect(table.match('GET', 'x', '/api/admin/users')?.name).toBe('narrow');
    expect(table.match('GET', 'x', '/api/orders')?.name).toBe('wide');
    expect(table.match('GET', 'x', '/')?.name).toBe('all');
    expect(table.match('GET', 'x', '/api')?.httpRoute).toBe('/api');
    expect(table.match('GET', 'x', '/other')?.httpRoute).toBe('/');
  });
});
