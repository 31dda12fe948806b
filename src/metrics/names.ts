/**
 * Every metric and label name hoptrace exposes on /metrics. HTTP metrics carry the OpenTelemetry HTTP
 * semantic-convention names in Prometheus form (`http.server.request.duration` in seconds becomes
 * `http_server_request_duration_seconds`, attribute `http.request.method` becomes label
 * `http_request_method`); what has no convention is prefixed `hoptrace_`.
 */
export const METRIC = {
  /** Histogram: request arrival to the last byte of the response, per route, method, status. */
  serverDuration: 'http_server_request_duration_seconds',
  /** Counter: requests per route, method, status (the histogram's count, under a name of its own). */
  serverRequests: 'hoptrace_http_requests_total',
  /** Gauge: requests that have arrived and whose response has not ended. */
  serverActive: 'http_server_active_requests',
  /** Histogram: request arrival to the end of the upstream's response, per route, upstream, method, status. */
  clientDuration: 'http_client_request_duration_seconds',
  /** Counter: upstream failures (refused, reset, timeout, DNS, TLS) per route, upstream, error type. */
  upstreamErrors: 'hoptrace_upstream_errors_total',
  /** Gauge: open WebSocket sessions. */
  websocketSessions: 'hoptrace_websocket_active_sessions',
  spansStarted: 'hoptrace_spans_started_total',
  spansExported: 'hoptrace_spans_exported_total',
  spansDropped: 'hoptrace_spans_dropped_total',
  /** Counter: spans an exporter was not offered (the built-in store's sample under load, export/store-admission.ts). */
  spansSkipped: 'hoptrace_spans_skipped_total',
  exportFailures: 'hoptrace_span_export_failures_total',
  exportQueueLength: 'hoptrace_span_export_queue_length',
  storeTraces: 'hoptrace_span_store_traces',
  storeSpans: 'hoptrace_span_store_spans',
  storeEvictedTraces: 'hoptrace_span_store_evicted_traces_total',
  accessLogDropped: 'hoptrace_access_log_dropped_lines_total',
  configReloads: 'hoptrace_config_reloads_total',
  configLastReloadSuccessful: 'hoptrace_config_last_reload_successful',
  configLastReloadSuccessTime: 'hoptrace_config_last_reload_success_timestamp_seconds',
} as const;

export const LABEL = {
  /** The routes.json route name; empty for requests that matched no route. */
  route: 'route',
  method: 'http_request_method',
  statusCode: 'http_response_status_code',
  /** `2xx`, `4xx`, …; empty when the client left before any response. */
  statusClass: 'status_class',
  errorType: 'error_type',
  /** The upstream target URL as configured. */
  upstream: 'upstream',
  exporter: 'exporter',
  result: 'result',
} as const;

/** Seconds. From 1 ms (a proxy's own overhead, a local upstream) to 10 s (a slow upstream near its timeout). */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
