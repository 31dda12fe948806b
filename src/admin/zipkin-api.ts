/**
 * The Zipkin v2 query API over the built-in store (SPEC §4), answering in Zipkin's JSON model
 * (zipkin2-api.yaml) so Zipkin's UI or Grafana's Zipkin data source can read a hoptrace admin port:
 *
 *   GET /api/v2/services                        local service names, sorted
 *   GET /api/v2/spans?serviceName=              span names of a service, sorted
 *   GET /api/v2/remoteServices?serviceName=     remote service names a service recorded, sorted
 *   GET /api/v2/traces?…                        a list of traces (each a list of spans); see trace-query.ts
 *   GET /api/v2/trace/{traceId}                 one trace, 404 when unknown
 *   GET /api/v2/traceMany?traceIds=a,b          the known ones of several traces
 *   GET /api/v2/dependencies?endTs=&lookback=   {parent, child, callCount, errorCount} links
 *   GET /api/v2/autocompleteKeys, autocompleteValues?key=   always empty: no keys are configured
 *   POST /api/v2/spans                          Zipkin v2 JSON into the store (zipkin-ingest.ts)
 *
 * Query work runs here, on the admin port, never on the proxy's request path.
 */
import { AdminRequestError, HOP_ERR } from '../errors.js';
import type { SpanStore } from '../export/span-store.js';
import { normalizeTraceId } from '../export/zipkin-normalize.js';
import { answeringErrors } from './admin-errors.js';
import { dependencyLinks } from './dependency-links.js';
import { sendJson, sendText, type AdminRoute } from './server.js';
import { findTraces, inWindow, parseTraceQuery, traceTimestamp } from './trace-query.js';
import { zipkinIngestRoute, type IngestOptions } from './zipkin-ingest.js';

export const ZIPKIN_API_PREFIX = '/api/v2';

export function zipkinApiRoutes(store: SpanStore, options: IngestOptions = {}): AdminRoute[] {
  const get = (path: string, handler: AdminRoute['handler'], prefix = false): AdminRoute => ({
    method: 'GET',
    path: `${ZIPKIN_API_PREFIX}${path}`,
    prefix,
    handler: answeringErrors(handler),
  });
  return [
    get('/services', (_req, res) => sendJson(res, 200, store.serviceNames())),
    get('/spans', (_req, res, url) => sendJson(res, 200, store.spanNames(requiredServiceName(url)))),
    get('/remoteServices', (_req, res, url) => sendJson(res, 200, store.remoteServiceNames(requiredServiceName(url)))),
    get('/traces', (_req, res, url) => sendJson(res, 200, findTraces(store, parseTraceQuery(url.searchParams, Date.now())))),
    get(
      '/trace/',
      (_req, res, url) => {
        const traceId = validTraceId(url.pathname.slice(`${ZIPKIN_API_PREFIX}/trace/`.length));
        const spans = store.trace(traceId);
        if (spans === undefined) sendText(res, 404, `${traceId} not found\n`);
        else sendJson(res, 200, spans);
      },
      true,
    ),
    get('/traceMany', (_req, res, url) => sendJson(res, 200, traceMany(store, url.searchParams.get('traceIds') ?? ''))),
    get('/dependencies', (_req, res, url) => {
      const { endTs, lookback } = parseWindow(url.searchParams, Date.now());
      const traces = [];
      for (const trace of store.traces()) {
        if (inWindow(traceTimestamp(trace.spans), endTs, lookback)) traces.push(trace.spans);
      }
      sendJson(res, 200, dependencyLinks(traces));
    }),
    get('/autocompleteKeys', (_req, res) => sendJson(res, 200, [])),
    get('/autocompleteValues', (_req, res, url) => {
      if (!url.searchParams.get('key')) throw badQuery('key is required');
      sendJson(res, 200, []);
    }),
    zipkinIngestRoute(store, options),
  ];
}

/** `endTs` (default now; Zipkin requires it, a viewer need not) and `lookback` (default one day), in ms. */
export function parseWindow(params: URLSearchParams, now: number): { endTs: number; lookback: number } {
  // The trace query parser has the same rules and wording for these two; only they are passed on.
  const window = new URLSearchParams();
  for (const name of ['endTs', 'lookback']) {
    const value = params.get(name);
    if (value !== null) window.set(name, value);
  }
  const query = parseTraceQuery(window, now);
  return { endTs: query.endTs, lookback: query.lookback };
}

function traceMany(store: SpanStore, list: string): unknown[] {
  if (list === '') throw badQuery('traceIds parameter is empty');
  const ids = new Set<string>();
  for (const raw of list.split(',')) {
    const id = validTraceId(raw);
    if (ids.has(id)) throw badQuery(`redundant traceId: ${raw}`);
    ids.add(id);
  }
  if (ids.size === 1) throw badQuery('Use /api/v2/trace/{traceId} endpoint to retrieve a single trace');
  const traces = [];
  for (const id of ids) {
    const spans = store.trace(id);
    if (spans !== undefined) traces.push(spans);
  }
  return traces;
}

function requiredServiceName(url: URL): string {
  const serviceName = url.searchParams.get('serviceName');
  if (!serviceName) throw badQuery('serviceName is required');
  return serviceName.toLowerCase();
}

function validTraceId(raw: string): string {
  const id = normalizeTraceId(raw);
  if (id === undefined) throw badQuery(`traceId: ${JSON.stringify(raw)} is not 1 to 32 hex characters`);
  return id;
}

function badQuery(message: string): AdminRequestError {
  return new AdminRequestError(HOP_ERR.ADMIN_BAD_QUERY, 400, [message]);
}
