/**
 * Standard OpenTelemetry environment variables, applied to the raw JSON before validation so that a bad
 * value gets the same kind of message as a bad field (`env.OTEL_TRACES_SAMPLER_ARG: …`). The environment
 * wins over the file (SPEC §1).
 */
import { ConfigError, HOP_ERR } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

/**
 * OTEL_PROPAGATORS names → our formats. `b3` and `b3multi` both mean our `b3`, which reads either encoding and
 * writes both. `baggage` is accepted and changes nothing: the proxy passes the `baggage` header through as it is.
 */
const PROPAGATOR_NAMES: Readonly<Record<string, string | undefined>> = {
  tracecontext: 'tracecontext',
  b3: 'b3',
  b3multi: 'b3',
  jaeger: 'jaeger',
  baggage: undefined,
};

/** The same URL rule as the schema's `url` definition, so env and file values are held to one standard. */
const URL_PATTERN = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/?#\s@]+(\/[^\s]*)?$/;
/** RFC 9110 token, the grammar of a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** OTel spec: OTEL_EXPORTER_OTLP_ENDPOINT is a base URL; the traces path is appended to it. */
const OTLP_TRACES_PATH = 'v1/traces';

export function applyEnv(value: unknown, env: Env): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const config = structuredClone(value) as Json;
  const tracing = (isObject(config.tracing) ? config.tracing : (config.tracing = {})) as Json;
  const issues: string[] = [];

  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME);
  if (serviceName !== undefined) tracing.serviceName = serviceName;

  const sampler = samplerSettings(env, issues);
  if (sampler !== undefined) {
    tracing.sampleRate = sampler.sampleRate;
    tracing.parentBased = sampler.parentBased;
  }

  const propagators = nonEmpty(env.OTEL_PROPAGATORS);
  if (propagators !== undefined) {
    const names = propagators.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== 'none');
    const unknown = names.filter((name) => !(name in PROPAGATOR_NAMES));
    const formats = names.map((name) => PROPAGATOR_NAMES[name]).filter((format) => format !== undefined);
    if (unknown.length > 0) {
      issues.push(`env.OTEL_PROPAGATORS: unknown propagator ${unknown.join(', ')} (known: ${Object.keys(PROPAGATOR_NAMES).join(', ')})`);
    } else if (formats.length > 0) {
      tracing.propagation = [...new Set(formats)];
    }
  }

  const zipkin = envUrl(env, 'OTEL_EXPORTER_ZIPKIN_ENDPOINT', issues);
  if (zipkin !== undefined) setExporterEndpoint(tracing, 'zipkin', zipkin);

  // OTel spec: the signal-specific variable is used as it is and wins over the base one.
  const otlpTraces = envUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', issues);
  const otlpBase = otlpTraces === undefined ? envUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', issues) : undefined;
  const otlp = otlpTraces ?? (otlpBase === undefined ? undefined : `${otlpBase.replace(/\/+$/, '')}/${OTLP_TRACES_PATH}`);
  if (otlp !== undefined) setExporterEndpoint(tracing, 'otlp', otlp);

  const otlpHeaders = {
    ...envHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS', issues),
    ...envHeaders(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', issues),
  };
  if (Object.keys(otlpHeaders).length > 0) setExporterHeaders(tracing, 'otlp', otlpHeaders);

  if (issues.length > 0) throw new ConfigError(HOP_ERR.CONFIG_INVALID, issues);
  return config;
}

/**
 * `OTEL_TRACES_SAMPLER` (+ `_ARG`) as our two settings: the rate of hoptrace's own decisions, and whether a
 * decision the request arrives with is kept (`parentbased_*`) or ignored (the others, as the OTel spec says).
 */
function samplerSettings(env: Env, issues: string[]): { sampleRate: number; parentBased: boolean } | undefined {
  const sampler = nonEmpty(env.OTEL_TRACES_SAMPLER)?.toLowerCase();
  if (sampler === undefined) return undefined;
  const parentBased = sampler.startsWith('parentbased_');
  switch (sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return { sampleRate: 1, parentBased };
    case 'always_off':
    case 'parentbased_always_off':
      return { sampleRate: 0, parentBased };
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
      if (arg === undefined) return { sampleRate: 1, parentBased }; // the OpenTelemetry default ratio
      const ratio = Number(arg);
      if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
        issues.push(`env.OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1, got ${JSON.stringify(arg)}`);
        return undefined;
      }
      return { sampleRate: ratio, parentBased };
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

/** Adds `headers` (env wins key by key) to every exporter of `type`; adds no exporter. */
function setExporterHeaders(tracing: Json, type: string, headers: Record<string, string>): void {
  const exporters = Array.isArray(tracing.exporters) ? (tracing.exporters as unknown[]) : [];
  for (const exporter of exporters) {
    if (!isObject(exporter) || exporter.type !== type) continue;
    // Header names are case-insensitive: the env's `authorization` replaces the file's `Authorization`.
    const merged: Json = {};
    const file = isObject(exporter.headers) ? exporter.headers : {};
    for (const key of Object.keys(file)) if (!(key.toLowerCase() in headers)) merged[key] = file[key];
    exporter.headers = { ...merged, ...headers };
  }
}

function envUrl(env: Env, name: string, issues: string[]): string | undefined {
  const value = nonEmpty(env[name]);
  if (value === undefined || URL_PATTERN.test(value)) return value;
  issues.push(`env.${name}: must be an http or https URL, got ${JSON.stringify(value)}`);
  return undefined;
}

/** OTel spec: `key1=value1,key2=value2`, in the W3C Baggage format (values percent-encoded). */
function envHeaders(env: Env, name: string, issues: string[]): Record<string, string> {
  const value = nonEmpty(env[name]);
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const equals = pair.indexOf('=');
    const key = equals === -1 ? '' : pair.slice(0, equals).trim();
    let decoded: string | undefined;
    try {
      decoded = equals === -1 ? undefined : decodeURIComponent(pair.slice(equals + 1).trim());
    } catch {
      decoded = undefined;
    }
    if (!HEADER_NAME.test(key) || decoded === undefined || !/^[\t -~]*$/.test(decoded)) {
      issues.push(`env.${name}: must be a list of name=value pairs separated by commas, got ${JSON.stringify(value)}`);
      return {};
    }
    headers[key.toLowerCase()] = decoded;
  }
  return headers;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
