/**
 * The request metrics, fed by the proxy's HopListener: per route, method and status a duration histogram
 * and a request count, the upstream's duration, upstream failures by `error.type`, and the requests in
 * flight.
 *
 * Each label set gets one cell, found through nested maps keyed by the record's own values (route, method,
 * status, …), so a request that repeats a known label set allocates nothing. Every key is bounded: routes
 * and upstreams come from the config, a method the HTTP spec does not name becomes `_OTHER` (as the
 * OpenTelemetry conventions say), Node keeps status codes within 100..999, error types are a fixed set.
 */
import type { Registry } from 'prom-client';
import { ClientAbortedError } from '../errors.js';
import type { HopListener, HopRecord } from '../proxy/hop-record.js';
import { countOfFamily, counterFamily, histogramFamily, type CounterCell, type HistogramCell } from './cells.js';
import { DURATION_BUCKETS, LABEL, METRIC } from './names.js';

export interface HttpMetrics extends HopListener {
  /** Requests that have started and not ended. */
  active(): number;
}

/** OpenTelemetry HTTP conventions: methods other than these are recorded as `_OTHER`. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'QUERY', 'TRACE']);
const OTHER_METHOD = '_OTHER';
/** A client that hangs up is not the upstream's failure (STYLE §3), so it is not an upstream error. */
const CLIENT_ABORTED = new ClientAbortedError().errorType;
const NONE = '';

type Level<V> = Map<string, V>;

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const serverDuration = histogramFamily(
    registry,
    METRIC.serverDuration,
    'Duration of requests through the proxy, from arrival to the last byte of the response.',
    DURATION_BUCKETS,
  );
  countOfFamily(registry, METRIC.serverRequests, 'Requests through the proxy.', serverDuration);
  const clientDuration = histogramFamily(
    registry,
    METRIC.clientDuration,
    'Duration of upstream requests that got a response, from arrival at the proxy to the end of the upstream response.',
    DURATION_BUCKETS,
  );
  const upstreamErrors = counterFamily(registry, METRIC.upstreamErrors, 'Upstream requests that failed without a complete response, by error type.');

  // route → method → status → error type
  const serverCells: Level<Level<Map<number, Level<HistogramCell>>>> = new Map();
  // route → upstream → method → status
  const clientCells: Level<Level<Level<Map<number, HistogramCell>>>> = new Map();
  // route → upstream → error type
  const errorCells: Level<Level<Level<CounterCell>>> = new Map();
  let active = 0;

  function serverCell(route: string, method: string, status: number, errorType: string): HistogramCell {
    const byError = inner(inner(inner(serverCells, route), method), status);
    return (
      byError.get(errorType) ??
      setNew(byError, errorType, serverDuration.cell({ [LABEL.route]: route, [LABEL.method]: method, ...statusLabels(status), [LABEL.errorType]: errorType }))
    );
  }

  function clientCell(route: string, upstream: string, method: string, status: number): HistogramCell {
    const byStatus = inner(inner(inner(clientCells, route), upstream), method);
    return (
      byStatus.get(status) ??
      setNew(byStatus, status, clientDuration.cell({ [LABEL.route]: route, [LABEL.upstream]: upstream, [LABEL.method]: method, ...statusLabels(status) }))
    );
  }

  function errorCell(route: string, upstream: string, errorType: string): CounterCell {
    const byError = inner(inner(errorCells, route), upstream);
    return (
      byError.get(errorType) ??
      setNew(byError, errorType, upstreamErrors.cell({ [LABEL.route]: route, [LABEL.upstream]: upstream, [LABEL.errorType]: errorType }))
    );
  }

  return {
    active: () => active,
    onHopStart() {
      active += 1;
    },
    onHopEnd(record: HopRecord) {
      active -= 1;
      const route = record.route ?? NONE;
      const method = KNOWN_METHODS.has(record.method) ? record.method : OTHER_METHOD;
      serverCell(route, method, record.status, record.errorType ?? NONE).observe(record.durationMs / 1_000);
      const { upstream } = record;
      if (upstream === undefined) return;
      if (record.upstreamDurationMs !== undefined) clientCell(route, upstream, method, record.status).observe(record.upstreamDurationMs / 1_000);
      if (record.errorType !== undefined && record.errorType !== CLIENT_ABORTED) errorCell(route, upstream, record.errorType).value += 1;
    },
  };
}

function statusLabels(status: number): Record<string, string> {
  if (status === 0) return { [LABEL.statusCode]: NONE, [LABEL.statusClass]: NONE };
  return { [LABEL.statusCode]: String(status), [LABEL.statusClass]: `${Math.floor(status / 100)}xx` };
}

/** The map under `key`, created on first use. */
function inner<K, M extends Map<unknown, unknown>>(map: Map<K, M>, key: K): M {
  return map.get(key) ?? setNew(map, key, new Map() as M);
}

function setNew<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value);
  return value;
}
