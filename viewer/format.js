// Formatting shared by the views: durations (Zipkin's microseconds), times, service colours, span names.

export function formatDuration(micros) {
  if (micros === undefined || micros === null || Number.isNaN(micros)) return '–';
  if (micros < 1000) return `${Math.round(micros)} µs`;
  if (micros < 10_000) return `${(micros / 1000).toFixed(2)} ms`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(1)} ms`;
  return `${(micros / 1_000_000).toFixed(2)} s`;
}

export function formatTime(micros) {
  const date = new Date(micros / 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function formatAgo(micros, now = Date.now()) {
  const seconds = Math.max(0, Math.round(now / 1000 - micros / 1_000_000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

export function formatPercent(part, whole) {
  if (!whole) return '0%';
  const value = (part / whole) * 100;
  return `${value < 10 && value > 0 ? value.toFixed(1) : Math.round(value)}%`;
}

// Well-separated hues that stay readable on white; a service keeps its colour across views.
const PALETTE = ['#4f5bd5', '#2f9e75', '#d9822b', '#8e44ad', '#1f8fc4', '#c0437a', '#6b8e23', '#b8860b', '#5d6d7e', '#a0522d', '#16a2a2', '#7d5ba6'];

/** A stable colour per service name. */
export function serviceColor(name) {
  let hash = 0;
  for (const char of name ?? '') hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

/**
 * Zipkin stores span names in lower case; an HTTP span reads better with its method as sent
 * ("GET /api/orders"), which the span's own tag still has.
 */
export function displayName(span) {
  const name = span.name ?? '(unnamed)';
  const method = span.tags?.['http.request.method'];
  if (method && (name === method.toLowerCase() || name.startsWith(`${method.toLowerCase()} `))) {
    return method + name.slice(method.length);
  }
  return name;
}

/** A "nice" step for an axis from 0 to `total`, giving about `count` ticks. */
export function tickStep(total, count = 5) {
  if (!(total > 0)) return 1;
  const raw = total / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1;
  return nice * magnitude;
}
