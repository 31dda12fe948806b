/**
 * Validated JSON → HopConfig: every default filled in (each with its reason), host names lower-cased,
 * `upstream` normalised to a target list, then deep-frozen so nothing downstream can change a live config.
 */
import type { ExporterConfig, HopConfig, HostPort, PropagationFormat, RouteConfig } from './types.js';

export const DEFAULTS = {
  listen: '0.0.0.0:8080',
  // Loopback: the admin port shows traces and config, so it is closed to the network unless asked.
  admin: '127.0.0.1:9901',
  drainTimeoutMs: 10_000, // 10 s: long enough for ordinary requests, short of orchestrators' 30 s kill
  serviceName: 'hoptrace',
  sampleRate: 1, // trace everything until told otherwise: the proxy exists to trace
  propagation: ['tracecontext'] as PropagationFormat[],
  traceResponse: true,
  zipkinEndpoint: 'http://127.0.0.1:9411/api/v2/spans',
  timeoutMs: 30_000, // 30 s: common upstream timeout of other proxies (nginx proxy_read_timeout is 60 s)
  // 1 h: quiet dashboards and terminals stay up, while sessions whose peer vanished without a FIN are
  // eventually reclaimed (HAProxy's commonly used `timeout tunnel`; nginx's 60 s default drops idle sockets).
  wsIdleTimeoutMs: 3_600_000,
} as const;

/* The raw shapes below are what the schema guarantees; validation has already run. */
interface RawRoute {
  name: string;
  service?: string;
  peerService?: string;
  match?: { host?: string; pathPrefix?: string; methods?: string[] };
  upstream: string | { targets: string[] };
  stripPrefix?: boolean;
  timeoutMs?: number;
  wsIdleTimeoutMs?: number;
}

interface RawConfig {
  listen?: string;
  admin?: string;
  drainTimeoutMs?: number;
  tracing?: {
    serviceName?: string;
    sampleRate?: number;
    propagation?: PropagationFormat[];
    traceResponse?: boolean;
    exporters?: Array<{ type: string; endpoint?: string }>;
  };
  routes: RawRoute[];
}

export function applyDefaults(value: unknown, source?: string): HopConfig {
  const raw = value as RawConfig;
  const tracing = raw.tracing ?? {};
  const serviceName = tracing.serviceName ?? DEFAULTS.serviceName;
  const config: HopConfig = {
    source,
    listen: parseHostPort(raw.listen ?? DEFAULTS.listen),
    admin: parseHostPort(raw.admin ?? DEFAULTS.admin),
    drainTimeoutMs: raw.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs,
    tracing: {
      serviceName,
      sampleRate: tracing.sampleRate ?? DEFAULTS.sampleRate,
      propagation: tracing.propagation ?? DEFAULTS.propagation,
      traceResponse: tracing.traceResponse ?? DEFAULTS.traceResponse,
      exporters: (tracing.exporters ?? []).map(toExporter),
    },
    routes: raw.routes.map((route) => toRoute(route, serviceName)),
  };
  return deepFreeze(config);
}

function toExporter(raw: { type: string; endpoint?: string }): ExporterConfig {
  if (raw.type === 'zipkin') return { type: 'zipkin', endpoint: raw.endpoint ?? DEFAULTS.zipkinEndpoint };
  return { type: 'console' };
}

function toRoute(raw: RawRoute, serviceName: string): RouteConfig {
  const match = raw.match ?? {};
  return {
    name: raw.name,
    service: raw.service ?? serviceName,
    peerService: raw.peerService,
    match: {
      host: match.host?.toLowerCase(),
      // A trailing slash would make `/api/` miss `/api`; segments are compared without it.
      pathPrefix: match.pathPrefix === undefined || match.pathPrefix === '/' ? undefined : match.pathPrefix.replace(/\/+$/, ''),
      methods: match.methods,
    },
    targets: typeof raw.upstream === 'string' ? [raw.upstream] : raw.upstream.targets,
    stripPrefix: raw.stripPrefix ?? false,
    timeoutMs: raw.timeoutMs ?? DEFAULTS.timeoutMs,
    wsIdleTimeoutMs: raw.wsIdleTimeoutMs ?? DEFAULTS.wsIdleTimeoutMs,
  };
}

/** `host:port` or `[v6]:port`; the schema has checked the form and the port range. */
export function parseHostPort(value: string): HostPort {
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(value.slice(colon + 1)) };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
