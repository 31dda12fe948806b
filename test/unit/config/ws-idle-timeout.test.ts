import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/index.js';
import { ConfigError, HOP_ERR } from '../../../src/errors.js';

function route(extra: Record<string, unknown>) {
  return { routes: [{ name: 'live', upstream: 'http://127.0.0.1:3000', ...extra }] };
}

function issuesOf(json: unknown): readonly string[] {
  try {
    buildConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(HOP_ERR.CONFIG_INVALID);
    return (error as ConfigError).issues;
  }
  throw new Error('the config was accepted');
}

describe('routes[].wsIdleTimeoutMs', () => {
  it('defaults to one hour', () => {
    expect(buildConfig(route({})).routes[0]!.wsIdleTimeoutMs).toBe(3_600_000);
  });

  it('takes 0 (never) and any positive integer', () => {
    expect(buildConfig(route({ wsIdleTimeoutMs: 0 })).routes[0]!.wsIdleTimeoutMs).toBe(0);
    expect(buildConfig(route({ wsIdleTimeoutMs: 250 })).routes[0]!.wsIdleTimeoutMs).toBe(250);
  });

  it('rejects negative and fractional values with the field path', () => {
    expect(issuesOf(route({ wsIdleTimeoutMs: -1 }))).toEqual(['routes[0].wsIdleTimeoutMs: must be >= 0']);
    expect(issuesOf(route({ wsIdleTimeoutMs: 1.5 }))).toEqual(['routes[0].wsIdleTimeoutMs: must be integer']);
  });
});
