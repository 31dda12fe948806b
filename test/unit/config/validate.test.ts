import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/index.js';
import { SCHEMA_URL } from '../../../src/config/validate.js';
import { ConfigError, HOP_ERR } from '../../../src/errors.js';

function issues(json: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    buildConfig(json, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(HOP_ERR.CONFIG_INVALID);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected the config to be rejected');
}

const route = { name: 'r', upstream: 'http://127.0.0.1:3000' };

describe('config validation', () => {
  it('reports every wrong field with its path, one line each', () => {
    expect(
      issues({
        listen: 'nowhere',
        tracing: { sampleRate: 2, propagation: ['zipkin'] },
        routes: [route, route, { name: 'bad', upstream: 'ftp://x' }, { upstream: 'http://x', colour: 'red' }],
      }),
    ).toEqual([
      'listen: must be host:port, with a port from 0 to 65535',
      'tracing.sampleRate: must be <= 1',
      'tracing.propagation[0]: must be one of "tracecontext", "b3", "jaeger"',
      'routes[2].upstream: must be an http or https URL',
      'routes[3].name: is required',
      'routes[3].colour: is not a known field',
    ]);
  });

  it('reports a missing routes list and a wrong upstream shape', () => {
    expect(issues({})).toEqual(['routes: is required']);
    expect(issues({ routes: [{ name: 'x', upstream: 42 }] })).toEqual(['routes[0].upstream: must be an http or https URL, or { "targets": [urls] }']);
    expect(issues({ routes: [{ name: 'x', upstream: { targets: ['http://a', 'nope'] } }] })).toEqual([
      'routes[0].upstream.targets[1]: must be an http or https URL',
    ]);
  });

  it('reports bad OpenTelemetry environment values under env.*', () => {
    expect(issues({ routes: [] }, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'lots' })).toEqual([
      'env.OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1, got "lots"',
    ]);
  });

  it('fills in defaults and freezes the result', () => {
    const config = buildConfig({ routes: [{ name: 'r', match: { host: 'API.Example', pathPrefix: '/api/' }, upstream: 'http://a:1' }] });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9901 });
    expect(config.tracing).toEqual({
      serviceName: 'hoptrace',
      sampleRate: 1,
      propagation: ['tracecontext'],
      traceResponse: true,
      exporters: [],
      parentBased: true,
      maxNewTracesPerSecond: 0,
      trustIncomingContext: true,
    });
    expect(config.routes[0]).toMatchObject({
      service: 'hoptrace',
      match: { host: 'api.example', pathPrefix: '/api' },
      targets: ['http://a:1'],
      timeoutMs: 30000,
      sampleRate: 1,
      trustIncomingContext: true,
    });
    expect(Object.isFrozen(config.routes[0]!.match)).toBe(true);
  });

  it('lets the environment win over the file', () => {
    const config = buildConfig(
      { tracing: { serviceName: 'file', sampleRate: 1, exporters: [{ type: 'zipkin', endpoint: 'http://file:9411/api/v2/spans' }] }, routes: [] },
      { OTEL_SERVICE_NAME: 'env', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://env:9411/api/v2/spans' },
    );
    expect(config.tracing.serviceName).toBe('env');
    expect(config.tracing.sampleRate).toBe(0.25);
    expect(config.tracing.exporters).toEqual([{ type: 'zipkin', endpoint: 'http://env:9411/api/v2/spans' }]);
  });

  it('accepts the shipped routes.json and the SPEC example', () => {
    expect(() => buildConfig(JSON.parse(readFileSync(new URL('../../../routes.json', import.meta.url), 'utf8')))).not.toThrow();
  });

  it('documents every field of the schema', () => {
    // Editors show these descriptions; a field without one is a field users cannot discover.
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as Record<string, unknown>;
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      for (const [name, child] of Object.entries(properties ?? {})) {
        if (child !== true && typeof (child as { description?: unknown }).description !== 'string') undocumented.push(`${path}${name}`);
        walk(child, `${path}${name}.`);
      }
      for (const key of ['items', 'then', 'else']) walk((node as Record<string, unknown>)[key], path);
      for (const [name, def] of Object.entries((node as { definitions?: Record<string, unknown> }).definitions ?? {})) walk(def, `#${name}.`);
    };
    walk(schema, '');
    expect(undocumented).toEqual([]);
  });
});
