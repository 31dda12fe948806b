/**
 * `GET /api/v2/traces` semantics, as Zipkin defines them (zipkin2-api.yaml, and zipkin2
 * `storage.QueryRequest`, whose `test()` this follows): `serviceName` constrains every other condition to
 * that service's spans; `spanName`, `remoteServiceName` and each `annotationQuery` term must each be met by
 * some span; the duration bounds by one span; the trace's timestamp (its root's, else its earliest) must lie
 * in `[endTs - lookback, endTs]` (milliseconds). Results are the newest traces first, at most `limit`.
 */
import { AdminRequestError, HOP_ERR } from '../errors.js';
import type { SpanStore, StoredTrace } from '../export/span-store.js';
import type { ZipkinSpan } from '../export/zipkin-model.js';

export interface TraceQuery {
  readonly serviceName?: string;
  readonly remoteServiceName?: string;
  readonly spanName?: string;
  /** Tag key → value, or → '' for "an annotation with this value, or a tag with this key". */
  readonly annotationQuery: ReadonlyMap<string, string>;
  /** Microseconds. */
  readonly minDuration?: number;
  readonly maxDuration?: number;
  /** Milliseconds since epoch. */
  readonly endTs: number;
  /** Milliseconds. */
  readonly lookback: number;
  readonly limit: number;
}

export const QUERY_DEFAULTS = {
  lookback: 86_400_000, // one day, Zipkin's QUERY_LOOKBACK default
  limit: 10, // Zipkin's default
} as const;

/** Parses the query string; throws AdminRequestError (400) with Zipkin's wording for each bad value. */
export function parseTraceQuery(params: URLSearchParams, now: number): TraceQuery {
  const issues: string[] = [];
  const integer = (name: string): number | undefined => parseInteger(params, name, issues);
  const minDuration = integer('minDuration');
  const maxDuration = integer('maxDuration');
  const endTs = integer('endTs') ?? now;
  const lookback = integer('lookback') ?? QUERY_DEFAULTS.lookback;
  const limit = integer('limit') ?? QUERY_DEFAULTS.limit;
  if (endTs <= 0) issues.push('endTs <= 0');
  if (limit <= 0) issues.push('limit <= 0');
  if (lookback <= 0) issues.push('lookback <= 0');
  if (minDuration !== undefined) {
    if (minDuration <= 0) issues.push('minDuration <= 0');
    else if (maxDuration !== undefined && maxDuration < minDuration) issues.push('maxDuration < minDuration');
  } else if (maxDuration !== undefined) {
    issues.push('maxDuration is only valid with minDuration');
  }
  if (issues.length > 0) throw new AdminRequestError(HOP_ERR.ADMIN_BAD_QUERY, 400, issues);
  const spanName = lowerOrUndefined(params.get('spanName'));
  return {
    serviceName: lowerOrUndefined(params.get('serviceName')),
    remoteServiceName: lowerOrUndefined(params.get('remoteServiceName')),
    spanName: spanName === 'all' ? undefined : spanName, // Zipkin reserves "all" for "any name"
    annotationQuery: parseAnnotationQuery(params.get('annotationQuery') ?? ''),
    minDuration,
    maxDuration,
    endTs,
    lookback,
    limit,
  };
}

/** `http.method=GET and error` → {http.method: 'GET', error: ''}. */
export function parseAnnotationQuery(text: string): Map<string, string> {
  const terms = new Map<string, string>();
  for (const term of text.split(' and ')) {
    if (term === '') continue;
    const equals = term.indexOf('=');
    if (equals === -1) terms.set(term, '');
    else if (equals > 0) terms.set(term.slice(0, equals), term.slice(equals + 1));
  }
  return terms;
}

/** The root span's timestamp, else the earliest one; undefined when no span has one (microseconds). */
export function traceTimestamp(spans: readonly ZipkinSpan[]): number | undefined {
  let earliest: number | undefined;
  for (const span of spans) {
    if (span.timestamp === undefined || span.timestamp === 0) continue;
    if (span.parentId === undefined) return span.timestamp;
    if (earliest === undefined || span.timestamp < earliest) earliest = span.timestamp;
  }
  return earliest;
}

export function inWindow(timestamp: number | undefined, endTs: number, lookback: number): timestamp is number {
  return timestamp !== undefined && timestamp >= (endTs - lookback) * 1000 && timestamp <= endTs * 1000;
}

export function matchesQuery(query: TraceQuery, spans: readonly ZipkinSpan[]): boolean {
  if (!inWindow(traceTimestamp(spans), query.endTs, query.lookback)) return false;
  const { serviceName, minDuration, maxDuration } = query;
  let serviceSeen = serviceName === undefined;
  let remoteToMatch = query.remoteServiceName;
  let nameToMatch = query.spanName;
  let durationMet = minDuration === undefined && maxDuration === undefined;
  const remaining = new Map(query.annotationQuery);

  for (const span of spans) {
    const local = span.localEndpoint?.serviceName;
    if (serviceName !== undefined && serviceName !== local) continue;
    serviceSeen = true;
    if (remaining.size > 0) {
      for (const annotation of span.annotations ?? []) {
        if (remaining.get(annotation.value) === '') remaining.delete(annotation.value);
      }
      for (const key in span.tags) {
        const wanted = remaining.get(key);
        if (wanted !== undefined && (wanted === '' || wanted === span.tags[key])) remaining.delete(key);
      }
    }
    if (remoteToMatch !== undefined && remoteToMatch === span.remoteEndpoint?.serviceName) remoteToMatch = undefined;
    if (nameToMatch !== undefined && nameToMatch === span.name) nameToMatch = undefined;
    if (!durationMet && minDuration !== undefined) {
      const duration = span.duration ?? 0;
      durationMet = duration >= minDuration && (maxDuration === undefined || duration <= maxDuration);
    }
  }
  return serviceSeen && remoteToMatch === undefined && nameToMatch === undefined && remaining.size === 0 && durationMet;
}

/** Every stored trace that matches, newest first (by trace timestamp), at most `query.limit`. */
export function findTraces(store: SpanStore, query: TraceQuery): ZipkinSpan[][] {
  const matched: Array<{ timestamp: number; trace: StoredTrace }> = [];
  for (const trace of store.traces()) {
    if (matchesQuery(query, trace.spans)) matched.push({ timestamp: traceTimestamp(trace.spans)!, trace });
  }
  matched.sort((a, b) => b.timestamp - a.timestamp);
  return matched.slice(0, query.limit).map((entry) => entry.trace.spans);
}

function parseInteger(params: URLSearchParams, name: string, issues: string[]): number | undefined {
  const text = params.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || !/^-?\d+$/.test(text)) {
    issues.push(`${name}: must be an integer, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return value;
}

function lowerOrUndefined(value: string | null): string | undefined {
  return value === null || value === '' ? undefined : value.toLowerCase();
}
