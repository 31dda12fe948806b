// The admin API as the viewer reads it: hoptrace's list and service-map summaries, and Zipkin's
// /api/v2/trace/{id} for a single trace. Each call returns the parsed JSON and its text, so a view can skip
// re-rendering when nothing changed.

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) {
    const error = new Error(`${response.status} ${text.trim()}`);
    error.status = response.status;
    throw error;
  }
  return { data: JSON.parse(text), text };
}

export function fetchTraces(filter) {
  const params = new URLSearchParams();
  if (filter.service) params.set('serviceName', filter.service);
  if (filter.route) params.set('route', filter.route);
  if (filter.status) params.set('status', filter.status);
  if (filter.minDurationMs > 0) params.set('minDuration', String(Math.round(filter.minDurationMs * 1000)));
  if (filter.errorsOnly) params.set('errors', 'true');
  params.set('limit', '100');
  return getJson(`/api/hoptrace/traces?${params}`);
}

export function fetchTrace(traceId) {
  return getJson(`/api/v2/trace/${encodeURIComponent(traceId)}`);
}

export function fetchServiceMap(lookbackMs) {
  const params = new URLSearchParams({ endTs: String(Date.now()), lookback: String(lookbackMs) });
  return getJson(`/api/hoptrace/service-map?${params}`);
}
