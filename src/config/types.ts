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
  | { readonly type: 'console' };

export interface TracingConfig {
  readonly serviceName: string;
  readonly sampleRate: number;
  readonly propagation: readonly PropagationFormat[];
  readonly traceResponse: boolean;
  readonly exporters: readonly ExporterConfig[];
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
  /** A WebSocket session with no traffic for this long is closed; 0 disables the timeout. */
  readonly wsIdleTimeoutMs: number;
}

export interface HopConfig {
  /** Where the config was read from, for messages; undefined for a config built in code. */
  readonly source?: string;
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly drainTimeoutMs: number;
  readonly tracing: TracingConfig;
  readonly routes: readonly RouteConfig[];
}
