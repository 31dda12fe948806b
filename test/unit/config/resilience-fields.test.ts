/** The resilience fields of routes.json: retry, outlierDetection, headersTimeoutMs, watch; defaults and messages. */
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';

function issuesOf(json: unknown): readonly string[] {
  try {
    buildConfig(json);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('resilience fields', () => {
  it('fills in the defaults', () => {
    const config = buildConfig({
      routes: [
        { name: 'plain', upstream: 'http://a.internal' },
        { name: 'retrying', upstream: 'http://a.internal', retry: {} },
        { name: 'balanced', upstream: { targets: ['http://a.internal', 'http://b.internal'] } },
        { name: 'single-ejecting', upstream: 'http://a.internal', outlierDetection: { enabled: true, baseEjectionMs: 600_000 } },
        { name: 'balanced-not-ejecting', upstream: { targets: ['http://a.internal', 'http://b.internal'] }, outlierDetection: { enabled: false } },
      ],
    });

    expect(config.headersTimeoutMs).toBe(30_000);
    expect(config.watch).toBe(false);
    expect(config.routes.map((route) => [route.name, route.retry, route.outlierDetection])).toEqual([
      ['plain', undefined, undefined],
      ['retrying', { attempts: 2, on: ['connect-failure', 'reset'] }, undefined],
      ['balanced', undefined, { consecutiveFailures: 5, baseEjectionMs: 10_000, maxEjectionMs: 300_000 }],
      // The longest ejection is never shorter than the first one.
      ['single-ejecting', undefined, { consecutiveFailures: 5, baseEjectionMs: 600_000, maxEjectionMs: 600_000 }],
      ['balanced-not-ejecting', undefined, undefined],
    ]);
  });

  it('reports each wrong field with its path', () => {
    expect(
      issuesOf({
        headersTimeoutMs: 0,
        watch: 'yes',
        routes: [
          {
            name: 'api',
            upstream: 'http://a.internal',
            retry: { attempts: 9, on: ['500'], backoff: 1 },
            outlierDetection: { consecutiveFailures: 0, enabled: 'no' },
          },
        ],
      }),
    ).toEqual([
      'headersTimeoutMs: must be >= 1',
      'watch: must be boolean',
      'routes[0].retry.backoff: is not a known field',
      'routes[0].retry.attempts: must be <= 5',
      'routes[0].retry.on[0]: must be one of "connect-failure", "reset", "timeout", "502", "503", "504"',
      'routes[0].outlierDetection.enabled: must be boolean',
      'routes[0].outlierDetection.consecutiveFailures: must be >= 1',
    ]);
  });
});
