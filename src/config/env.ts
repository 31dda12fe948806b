/**
 * Standard OpenTelemetry environment variables, applied to the raw JSON before validation so that a bad
 * value gets the same kind of message as a bad field (`env.OTEL_TRACES_SAMPLER_ARG: …`). The environment
 * wins over the file (SPEC §1).
 */
import { ConfigError, HOP_ERR } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

const PROPAGATOR_NAMES: Readonly<Record<string, string>> = {
  tracecontext: 'tracecontext',
  b3: 'b3',
  b3multi: 'b3',
  jaeger: 'jaeger',
};

export function applyEnv(value: unknown, env: Env): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const config = structuredClone(value) as Json;
  const tracing = (isObject(config.tracing) ? config.tracing : (config.tracing = {})) as Json;
  const issues: string[] = [];

  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME);
  if (serviceName !== undefined) tracing.serviceName = serviceName;

  const sampleRate = samplerRate(env, issues);
  if (sampleRate !== undefined) tracing.sampleRate = sampleRate;

  const propagators = nonEmpty(env.OTEL_PROPAGATORS);
  if (propagators !== undefined) {
    const names = propagators.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== 'none');
    const unknown = names.filter((name) => !(name in PROPAGATOR_NAMES));
    if (unknown.length > 0) {
      issues.push(`env.OTEL_PROPAGATORS: unknown propagator ${unknown.join(', ')} (known: ${Object.keys(PROPAGATOR_NAMES).join(', ')})`);
    } else if (names.length > 0) {
      tracing.propagation = [...new Set(names.map((name) => PROPAGATOR_NAMES[name]))];
    }
  }

  const zipkin = nonEmpty(env.OTEL_EXPORTER_ZIPKIN_ENDPOINT);
  if (zipkin !== undefined) setExporterEndpoint(tracing, 'zipkin', zipkin);

  if (issues.length > 0) throw new ConfigError(HOP_ERR.CONFIG_INVALID, issues);
  return config;
}

/** `OTEL_TRACES_SAMPLER` (+ `_ARG`) expressed as the sample rate for traces that arrive without a decision. */
function samplerRate(env: Env, issues: string[]): number | undefined {
  const sampler = nonEmpty(env.OTEL_TRACES_SAMPLER)?.toLowerCase();
  const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  switch (sampler) {
    case undefined:
      return undefined;
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      if (arg === undefined) return 1; // the OpenTelemetry default ratio
      const ratio = Number(arg);
      if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
        issues.push(`env.OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1, got ${JSON.stringify(arg)}`);
        return undefined;
      }
      return ratio;
    }
    default:
      issues.push(
        `env.OTEL_TRACES_SAMPLER: unknown sampler ${JSON.stringify(sampler)} (known: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)`,
      );
      return undefined;
  }
}

/** Points every exporter of `type` at `endpoint`, adding one when the file configures none. */
function setExporterEndpoint(tracing: Json, type: string, endpoint: string): void {
  const exporters = (Array.isArray(tracing.exporters) ? tracing.exporters : (tracing.exporters = [])) as unknown[];
  const matching = exporters.filter((exporter): exporter is Json => isObject(exporter) && exporter.type === type);
  if (matching.length === 0) exporters.push({ type, endpoint });
  for (const exporter of matching) exporter.endpoint = endpoint;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
