import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/errors.js';

const ROUTES = [
  { name: 'own', match: { pathPrefix: '/own' }, upstream: 'http://127.0.0.1:3001', sampleRate: 0.5, trustIncomingContext: false },
  { name: 'inherits', upstream: 'http://127.0.0.1:3002' },
];

function issuesOf(json: unknown, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    buildConfig(json, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('sampling, trust and otlp fields', () => {
  it('fills in the defaults and lets routes inherit sampleRate and trust', () => {
    const config = buildConfig({ tracing: { sampleRate: 0.25 }, routes: ROUTES });
    expect(config.tracing).toMatchObject({ sampleRate: 0.25, parentBased: true, maxNewTracesPerSecond: 0, trustIncomingContext: true });
    expect(config.routes.map((route) => [route.sampleRate, route.trustIncomingContext])).toEqual([
      [0.5, false],
      [0.25, true],
    ]);
  });

  it('fills in the otlp exporter defaults', () => {
    const config = buildConfig({ tracing: { exporters: [{ type: 'otlp' }, { type: 'otlp', endpoint: 'https://otel.example:4318/v1/traces', headers: { 'x-api-key': 'k' } }] }, routes: ROUTES });
    expect(config.tracing.exporters).toEqual([
      { type: 'otlp', endpoint: 'http://127.0.0.1:4318/v1/traces', headers: {} },
      { type: 'otlp', endpoint: 'https://otel.example:4318/v1/traces', headers: { 'x-api-key': 'k' } },
    ]);
  });

  it('reports wrong new fields with their paths', () => {
    const json = {
      tracing: {
        maxNewTracesPerSecond: -1,
        parentBased: 'yes',
        exporters: [{ type: 'otlp', endpoint: 'collector:4318', headers: { 'bad name': 'x', ok: 'line\nbreak' } }, { type: 'zipkin', headers: {} }],
      },
      routes: [{ name: 'r', upstream: 'http://127.0.0.1:1', sampleRate: 2, trustIncomingContext: 'no' }],
    };
    expect(issuesOf(json)).toEqual([
      'tracing.parentBased: must be boolean',
      'tracing.maxNewTracesPerSecond: must be >= 0',
      'tracing.exporters[0].endpoint: must be an http or https URL',
      'tracing.exporters[0].headers: must be an HTTP header name',
      'tracing.exporters[0].headers.ok: must be a header value: printable ASCII, no line breaks',
      'tracing.exporters[1].headers: is not a known field',
      'routes[0].sampleRate: must be <= 1',
      'routes[0].trustIncomingContext: must be boolean',
    ]);
  });
});

describe('OTEL_* environment variables', () => {
  const samplers: Array<[string, string | undefined, number, boolean]> = [
    ['always_on', undefined, 1, false],
    ['always_off', undefined, 0, false],
    ['traceidratio', '0.1', 0.1, false],
    ['traceidratio', undefined, 1, false],
    ['parentbased_always_on', undefined, 1, true],
    ['parentbased_always_off', undefined, 0, true],
    ['parentbased_traceidratio', '0.1', 0.1, true],
    ['PARENTBASED_TRACEIDRATIO', '0', 0, true],
  ];
  it.each(samplers)('OTEL_TRACES_SAMPLER=%s (arg %s) sets sampleRate %d, parentBased %s', (sampler, arg, sampleRate, parentBased) => {
    const config = buildConfig({ tracing: { sampleRate: 0.7, parentBased: !parentBased }, routes: ROUTES }, { OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: arg });
    expect([config.tracing.sampleRate, config.tracing.parentBased]).toEqual([sampleRate, parentBased]);
    // A route's own sampleRate stays; the others take the environment's.
    expect(config.routes.map((route) => route.sampleRate)).toEqual([0.5, sampleRate]);
  });

  it('reports a bad sampler or argument as env lines', () => {
    expect(issuesOf({ routes: ROUTES }, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toEqual([
      'env.OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1, got "2"',
    ]);
    expect(issuesOf({ routes: ROUTES }, { OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toEqual([
      'env.OTEL_TRACES_SAMPLER: unknown sampler "jaeger_remote" (known: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)',
    ]);
  });

  const propagators: Array<[string, string[]]> = [
    ['b3multi,jaeger', ['b3', 'jaeger']],
    ['b3, b3multi', ['b3']],
    ['tracecontext,baggage', ['tracecontext']],
    ['jaeger,tracecontext', ['jaeger', 'tracecontext']],
  ];
  it.each(propagators)('OTEL_PROPAGATORS=%s sets propagation %j', (value, expected) => {
    expect(buildConfig({ tracing: { propagation: ['b3'] }, routes: ROUTES }, { OTEL_PROPAGATORS: value }).tracing.propagation).toEqual(expected);
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT and adds an otlp exporter when there is none', () => {
    for (const base of ['http://collector:4318', 'http://collector:4318/']) {
      expect(buildConfig({ routes: ROUTES }, { OTEL_EXPORTER_OTLP_ENDPOINT: base }).tracing.exporters).toEqual([
        { type: 'otlp', endpoint: 'http://collector:4318/v1/traces', headers: {} },
      ]);
    }
    expect(buildConfig({ routes: ROUTES }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example/otel' }).tracing.exporters).toEqual([
      { type: 'otlp', endpoint: 'https://gw.example/otel/v1/traces', headers: {} },
    ]);
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, over the base variable and the file', () => {
    const json = { tracing: { exporters: [{ type: 'zipkin' }, { type: 'otlp', endpoint: 'http://file:4318/v1/traces' }] }, routes: ROUTES };
    const config = buildConfig(json, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/custom' });
    expect(config.tracing.exporters).toEqual([
      { type: 'zipkin', endpoint: 'http://127.0.0.1:9411/api/v2/spans' },
      { type: 'otlp', endpoint: 'http://traces:9999/custom', headers: {} },
    ]);
  });

  it('merges OTEL_EXPORTER_OTLP_HEADERS and _TRACES_HEADERS over the file, name by name', () => {
    const json = { tracing: { exporters: [{ type: 'otlp', headers: { Authorization: 'Bearer file', 'x-keep': '1' } }] }, routes: ROUTES };
    const config = buildConfig(json, {
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env,x-tenant=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b',
    });
    expect(config.tracing.exporters).toEqual([
      { type: 'otlp', endpoint: 'http://127.0.0.1:4318/v1/traces', headers: { 'x-keep': '1', authorization: 'Bearer env', 'x-tenant': 'b' } },
    ]);
  });

  it('reports bad endpoints and headers as env lines', () => {
    expect(
      issuesOf(
        { routes: ROUTES },
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'ftp://zipkin', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' },
      ),
    ).toEqual([
      'env.OTEL_EXPORTER_ZIPKIN_ENDPOINT: must be an http or https URL, got "ftp://zipkin"',
      'env.OTEL_EXPORTER_OTLP_ENDPOINT: must be an http or https URL, got "collector:4318"',
      'env.OTEL_EXPORTER_OTLP_HEADERS: must be a list of name=value pairs separated by commas, got "novalue"',
    ]);
  });
});
