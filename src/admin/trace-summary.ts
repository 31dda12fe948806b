/**
 * One line of the viewer's trace list, derived from a stored trace: its root span (the span without a
 * parent in the trace, earliest first), what the request was (method, path, route, status from the root's
 * tags), the whole trace's extent, and how many of its spans failed. Summaries are cached per trace and
 * recomputed only when the trace has gained spans (a stored trace only ever grows).
 */
import type { StoredTrace } from '../export/span-store.js';
import { ZIPKIN_ERROR_TAG, type ZipkinSpan } from '../export/zipkin-model.js';
import {
  ATTR_HOPTRACE_ROUTE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '../tracing/attributes.js';

export interface TraceSummary {
  readonly traceId: string;
  /** Epoch microseconds of the earliest span. */
  readonly timestamp: number;
  /** Microseconds from the earliest start to the latest end. */
  readonly duration: number;
  readonly name: string;
  readonly service: string;
  readonly method?: string;
  readonly path?: string;
  readonly route?: string;
  readonly status?: number;
  readonly spanCount: number;
  readonly errorCount: number;
  readonly services: readonly string[];
  /** Every route named by a span of the trace (for the route filter). */
  readonly routes: readonly string[];
}

const cache = new WeakMap<StoredTrace, { spanCount: number; summary: TraceSummary }>();

export function summarize(trace: StoredTrace): TraceSummary {
  const cached = cache.get(trace);
  if (cached !== undefined && cached.spanCount === trace.spans.length) return cached.summary;
  const summary = compute(trace.traceId, trace.spans);
  cache.set(trace, { spanCount: trace.spans.length, summary });
  return summary;
}

function compute(traceId: string, spans: readonly ZipkinSpan[]): TraceSummary {
  const ids = new Set(spans.map((span) => span.id));
  let root: ZipkinSpan | undefined;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let errorCount = 0;
  const services = new Set<string>();
  const routes = new Set<string>();
  for (const span of spans) {
    const isRoot = span.parentId === undefined || !ids.has(span.parentId);
    if (isRoot && (root === undefined || (span.timestamp ?? Infinity) < (root.timestamp ?? Infinity))) root = span;
    if (span.timestamp !== undefined) {
      start = Math.min(start, span.timestamp);
      end = Math.max(end, span.timestamp + (span.duration ?? 0));
    }
    if (span.tags?.[ZIPKIN_ERROR_TAG] !== undefined) errorCount += 1;
    if (span.localEndpoint?.serviceName !== undefined) services.add(span.localEndpoint.serviceName);
    const route = routeOf(span);
    if (route !== undefined) routes.add(route);
  }
  const top = root ?? spans[0]!;
  const tags = top.tags ?? {};
  const status = Number(tags[ATTR_HTTP_RESPONSE_STATUS_CODE]);
  return {
    traceId,
    timestamp: Number.isFinite(start) ? start : 0,
    duration: Number.isFinite(start) ? end - start : 0,
    name: top.name ?? '',
    service: top.localEndpoint?.serviceName ?? '',
    method: tags[ATTR_HTTP_REQUEST_METHOD],
    path: tags[ATTR_URL_PATH],
    route: routeOf(top),
    status: Number.isInteger(status) && status > 0 ? status : undefined,
    spanCount: spans.length,
    errorCount,
    services: [...services].sort(),
    routes: [...routes].sort(),
  };
}

function routeOf(span: ZipkinSpan): string | undefined {
  return span.tags?.[ATTR_HOPTRACE_ROUTE] ?? span.tags?.[ATTR_HTTP_ROUTE];
}
