/**
 * The two reads the viewer needs beyond Zipkin's API, under `/api/hoptrace/`:
 *
 *   GET /api/hoptrace/traces?serviceName=&route=&status=&minDuration=&errors=&limit=
 *       → { traces: TraceSummary[], services, routes, stored }: newest first; `status` is a code (`503`)
 *         or a class (`5xx`) of the root span; `minDuration` in microseconds; `errors=true` keeps traces
 *         with at least one failed span.
 *   GET /api/hoptrace/service-map?endTs=&lookback=
 *       → { services, localServices, links: [{parent, child, callCount, errorCount, p50, p95, max}] }:
 *         Zipkin's dependency links plus the calls' latency (microseconds), which Zipkin's links do not
 *         carry; `localServices` are the services that recorded spans themselves (the rest are upstreams).
 *
 * The viewer reads single traces through Zipkin's own `/api/v2/trace/{id}`.
 */
import { AdminRequestError, HOP_ERR } from '../errors.js';
import type { SpanStore } from '../export/span-store.js';
import { answeringErrors } from './admin-errors.js';
import { createDependencyLinker } from './dependency-links.js';
import { sendJson, type AdminRoute } from './server.js';
import { inWindow, traceTimestamp } from './trace-query.js';
import { summarize, type TraceSummary } from './trace-summary.js';
import { parseWindow } from './zipkin-api.js';

export const VIEWER_LIST_DEFAULT_LIMIT = 100;

interface ListFilter {
  readonly serviceName?: string;
  readonly route?: string;
  readonly status?: (status: number | undefined) => boolean;
  readonly minDuration?: number;
  readonly errorsOnly: boolean;
  readonly limit: number;
}

export function viewerApiRoutes(store: SpanStore): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/hoptrace/traces',
      handler: answeringErrors((_req, res, url) => sendJson(res, 200, listTraces(store, parseFilter(url.searchParams)))),
    },
    {
      method: 'GET',
      path: '/api/hoptrace/service-map',
      handler: answeringErrors((_req, res, url) => sendJson(res, 200, serviceMap(store, url.searchParams))),
    },
  ];
}

function listTraces(store: SpanStore, filter: ListFilter): object {
  const matched: TraceSummary[] = [];
  const routes = new Set<string>();
  for (const trace of store.traces()) {
    const summary = summarize(trace);
    for (const route of summary.routes) routes.add(route);
    if (matches(summary, filter)) matched.push(summary);
  }
  matched.sort((a, b) => b.timestamp - a.timestamp);
  return {
    traces: matched.slice(0, filter.limit),
    services: store.serviceNames(),
    routes: [...routes].sort(),
    stored: store.stats().traces,
  };
}

function matches(summary: TraceSummary, filter: ListFilter): boolean {
  if (filter.serviceName !== undefined && !summary.services.includes(filter.serviceName)) return false;
  if (filter.route !== undefined && !summary.routes.includes(filter.route)) return false;
  if (filter.status !== undefined && !filter.status(summary.status)) return false;
  if (filter.minDuration !== undefined && summary.duration < filter.minDuration) return false;
  if (filter.errorsOnly && summary.errorCount === 0) return false;
  return true;
}

function parseFilter(params: URLSearchParams): ListFilter {
  const issues: string[] = [];
  const status = params.get('status') || undefined;
  const minDuration = params.get('minDuration') || undefined;
  const limit = params.get('limit') || undefined;
  let statusTest: ListFilter['status'];
  if (status !== undefined) {
    if (/^[1-5]xx$/i.test(status)) {
      const hundreds = Number(status[0]) * 100;
      statusTest = (code) => code !== undefined && code >= hundreds && code < hundreds + 100;
    } else if (/^[1-5]\d\d$/.test(status)) {
      statusTest = (code) => code === Number(status);
    } else {
      issues.push(`status: must be a status code (503) or class (5xx), got ${JSON.stringify(status)}`);
    }
  }
  if (minDuration !== undefined && !/^\d+$/.test(minDuration)) issues.push('minDuration: must be microseconds (an integer)');
  if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) issues.push('limit: must be a positive integer');
  if (issues.length > 0) throw new AdminRequestError(HOP_ERR.ADMIN_BAD_QUERY, 400, issues);
  return {
    serviceName: params.get('serviceName')?.toLowerCase() || undefined,
    route: params.get('route') || undefined,
    status: statusTest,
    minDuration: minDuration === undefined ? undefined : Number(minDuration),
    errorsOnly: params.get('errors') === 'true',
    limit: limit === undefined ? VIEWER_LIST_DEFAULT_LIMIT : Number(limit),
  };
}

function serviceMap(store: SpanStore, params: URLSearchParams): object {
  const { endTs, lookback } = parseWindow(params, Date.now());
  const linker = createDependencyLinker();
  for (const trace of store.traces()) {
    if (inWindow(traceTimestamp(trace.spans), endTs, lookback)) linker.putTrace(trace.spans);
  }
  const services = new Set<string>();
  const links = linker.links().map(({ parent, child, callCount, errorCount, durations }) => {
    services.add(parent);
    services.add(child);
    durations.sort((a, b) => a - b);
    return { parent, child, callCount, errorCount, p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), max: durations.at(-1) ?? 0 };
  });
  return { services: [...services].sort(), localServices: store.serviceNames(), links };
}

/** Nearest-rank percentile of sorted values; 0 for none. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
