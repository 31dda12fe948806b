import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';

const ROUTES = [{ name: 'r', upstream: 'http://127.0.0.1:3000' }];

function issues(json: unknown): readonly string[] {
  try {
    buildConfig(json);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('accessLog config', () => {
  it('defaults to on, to stdout', () => {
    expect(buildConfig({ routes: ROUTES }).accessLog).toEqual({ enabled: true, destination: 'stdout' });
  });

  it('takes stderr, a file path, or off', () => {
    expect(buildConfig({ routes: ROUTES, accessLog: { destination: 'stderr' } }).accessLog).toEqual({ enabled: true, destination: 'stderr' });
    expect(buildConfig({ routes: ROUTES, accessLog: { destination: '/var/log/hoptrace/access.log' } }).accessLog.destination).toBe(
      '/var/log/hoptrace/access.log',
    );
    expect(buildConfig({ routes: ROUTES, accessLog: { enabled: false } }).accessLog).toEqual({ enabled: false, destination: 'stdout' });
  });

  it('reports wrong fields with their paths', () => {
    expect(issues({ routes: ROUTES, accessLog: { enabled: 'yes', destination: '', format: 'text' } })).toEqual([
      'accessLog.format: is not a known field',
      'accessLog.enabled: must be boolean',
      'accessLog.destination: must NOT have fewer than 1 characters',
    ]);
  });
});
