/**
 * The validated, defaulted and frozen config. Nothing after `config/` sees raw JSON: every other module
 * takes these types, and every optional field of routes.json has its default filled in here.
 */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type PropagationFormat = 'tracecontext' | 'b3' | 'jaeger';

export type ExporterConfig =
  | { readonly type: 'zipkin'; readonly endpoint: string }
  | { readonly type: 'otlp'; readonly endpoint: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly type: 'console' };

export interface TracingConfig {
  readonly serviceName: string;
  readonly sampleRate: number;
  readonly propagation: readonly PropagationFormat[];
  readonly traceResponse: boolean;
  readonly exporters: readonly ExporterConfig[];
  /** Keep the caller's sampling decision; false: every decision is hoptrace's own (OTEL_TRACES_SAMPLER without parentbased_). */
  readonly parentBased: boolean;
  /** Cap on traces sampled by hoptrace's own decision, per second; 0: no cap. */
  readonly maxNewTracesPerSecond: number;
  /** Default of routes' trustIncomingContext, and the rule for requests that match no route. */
  readonly trustIncomingContext: boolean;
}

export interface RouteMatch {
  /** Lower-case exact host, `*.suffix`, or undefined for any host. */
  readonly host?: string;
  readonly pathPrefix?: string;
  readonly methods?: readonly string[];
}

export interface RouteConfig {
  readonly name: string;
  readonly service: string;
  readonly peerService?: string;
  readonly match: RouteMatch;
  readonly targets: readonly string[];
  readonly stripPrefix: boolean;
  readonly timeoutMs: number;
  /** The route's own sampleRate, else tracing.sampleRate. */
  readonly sampleRate: number;
  /** false: the incoming trace is not continued, only linked (an edge facing outside callers). */
  readonly trustIncomingContext: boolean;
  /** Path of an extra PEM CA bundle for this route's https upstreams. */
  readonly upstreamCa?: string;
  readonly capture: CaptureConfig;
}

/**
 * What a route records beyond the defaults (SPEC §2). Header names are lower-case, and the headers that
 * are never recorded (`NEVER_CAPTURED_HEADERS`) have already been removed.
 */
export interface CaptureConfig {
  readonly requestHeaders: readonly string[];
  readonly responseHeaders: readonly string[];
  readonly queryParams: readonly string[];
}

/** Listener certificate and key: file paths, read when the config is put to use and again on reload. */
export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
}

/** Caps on what one client may send; see DEFAULTS.limits for each value's reason. */
export interface LimitsConfig {
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly maxUrlLength: number;
  readonly maxConnections: number;
  readonly maxTracestateLength: number;
  readonly maxBaggageBytes: number;
}

export interface AccessLogConfig {
  readonly enabled: boolean;
  /** `stdout`, `stderr`, or a file path (appended to; relative to the working directory). */
  readonly destination: string;
}

export interface HopConfig {
  /** Where the config was read from, for messages; undefined for a config built in code. */
  readonly source?: string;
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly drainTimeoutMs: number;
  readonly tracing: TracingConfig;
  readonly routes: readonly RouteConfig[];
  readonly tls?: TlsConfig;
  readonly limits: LimitsConfig;
  readonly accessLog: AccessLogConfig;
}
