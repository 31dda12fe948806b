/**
 * Validated JSON → HopConfig: every default filled in (each with its reason), host names lower-cased,
 * `upstream` normalised to a target list, then deep-frozen so nothing downstream can change a live config.
 */
import type { AccessLogConfig, ExporterConfig, HopConfig, HostPort, LimitsConfig, PropagationFormat, RouteConfig } from './types.js';
import { capturableHeaders } from './capture-rules.js';

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
  otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', // the OTLP/HTTP default port and traces path, on loopback
  parentBased: true, // SPEC §2: a request that arrives with a decision keeps it
  maxNewTracesPerSecond: 0, // no cap unless asked: sampleRate alone decides
  trustIncomingContext: true, // SPEC §3: a valid incoming traceparent is continued
  timeoutMs: 30_000, // 30 s: common upstream timeout of other proxies (nginx proxy_read_timeout is 60 s)
  limits: {
    maxHeaderBytes: 16 * 1024, // 16 KiB: Node's own default; real browsers send a few KiB at most
    maxHeaderCount: 100, // Apache httpd's LimitRequestFields; browsers send fewer than 30 (Node would allow 2000)
    maxUrlLength: 8 * 1024, // 8 KiB: RFC 9112 §3 asks for at least 8000 octets; nginx's default buffer is 8k
    maxConnections: 10_000, // bounds sockets and memory: at two descriptors per proxied connection, well under 65 536
    maxTracestateLength: 512, // W3C Trace Context §3.3.1.5: past 512 characters tracestate may be cut by members
    maxBaggageBytes: 8_192, // W3C Baggage (Limits): 8192 bytes must be passed on; beyond that it may be dropped
  } satisfies LimitsConfig,
  // On, to stdout: one JSON line per request where a container runtime or a terminal already collects
  // output, as nginx's images do; the process log goes to stderr, so the two do not mix.
  accessLog: { enabled: true, destination: 'stdout' } as AccessLogConfig,
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
  sampleRate?: number;
  trustIncomingContext?: boolean;
  upstreamCa?: string;
  capture?: { requestHeaders?: string[]; responseHeaders?: string[]; queryParams?: string[] };
}

interface RawExporter {
  type: string;
  endpoint?: string;
  headers?: Record<string, string>;
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
    exporters?: RawExporter[];
    parentBased?: boolean;
    maxNewTracesPerSecond?: number;
    trustIncomingContext?: boolean;
  };
  routes: RawRoute[];
  tls?: { cert: string; key: string };
  limits?: Partial<LimitsConfig>;
  accessLog?: { enabled?: boolean; destination?: string };
}

export function applyDefaults(value: unknown, source?: string): HopConfig {
  const raw = value as RawConfig;
  const tracing = raw.tracing ?? {};
  const serviceName = tracing.serviceName ?? DEFAULTS.serviceName;
  const sampleRate = tracing.sampleRate ?? DEFAULTS.sampleRate;
  const trustIncomingContext = tracing.trustIncomingContext ?? DEFAULTS.trustIncomingContext;
  const config: HopConfig = {
    source,
    listen: parseHostPort(raw.listen ?? DEFAULTS.listen),
    admin: parseHostPort(raw.admin ?? DEFAULTS.admin),
    drainTimeoutMs: raw.drainTimeoutMs ?? DEFAULTS.drainTimeoutMs,
    tracing: {
      serviceName,
      sampleRate,
      propagation: tracing.propagation ?? DEFAULTS.propagation,
      traceResponse: tracing.traceResponse ?? DEFAULTS.traceResponse,
      exporters: (tracing.exporters ?? []).map(toExporter),
      parentBased: tracing.parentBased ?? DEFAULTS.parentBased,
      maxNewTracesPerSecond: tracing.maxNewTracesPerSecond ?? DEFAULTS.maxNewTracesPerSecond,
      trustIncomingContext,
    },
    routes: raw.routes.map((route) => toRoute(route, { serviceName, sampleRate, trustIncomingContext })),
    ...(raw.tls === undefined ? {} : { tls: { cert: raw.tls.cert, key: raw.tls.key } }),
    limits: { ...DEFAULTS.limits, ...raw.limits },
    accessLog: {
      enabled: raw.accessLog?.enabled ?? DEFAULTS.accessLog.enabled,
      destination: raw.accessLog?.destination ?? DEFAULTS.accessLog.destination,
    },
  };
  return deepFreeze(config);
}

function toExporter(raw: RawExporter): ExporterConfig {
  if (raw.type === 'zipkin') return { type: 'zipkin', endpoint: raw.endpoint ?? DEFAULTS.zipkinEndpoint };
  if (raw.type === 'otlp') return { type: 'otlp', endpoint: raw.endpoint ?? DEFAULTS.otlpEndpoint, headers: { ...raw.headers } };
  return { type: 'console' };
}

/** What a route inherits from `tracing` when it does not set its own. */
interface RouteInherited {
  readonly serviceName: string;
  readonly sampleRate: number;
  readonly trustIncomingContext: boolean;
}

function toRoute(raw: RawRoute, inherited: RouteInherited): RouteConfig {
  const match = raw.match ?? {};
  return {
    name: raw.name,
    service: raw.service ?? inherited.serviceName,
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
    sampleRate: raw.sampleRate ?? inherited.sampleRate,
    trustIncomingContext: raw.trustIncomingContext ?? inherited.trustIncomingContext,
    ...(raw.upstreamCa === undefined ? {} : { upstreamCa: raw.upstreamCa }),
    capture: {
      // SPEC §2: authorization, proxy-authorization, cookie and set-cookie are dropped here, even when listed.
      requestHeaders: capturableHeaders(raw.capture?.requestHeaders),
      responseHeaders: capturableHeaders(raw.capture?.responseHeaders),
      queryParams: [...new Set(raw.capture?.queryParams ?? [])],
    },
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
