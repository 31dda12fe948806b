/**
 * The only tracing-aware lines in the sample apps, and the ones any app can add: copy the trace headers of
 * the request being served onto the calls made while serving it. The hoptrace in front of the next service
 * then continues the same trace. An app that does not do this breaks the trace there: the next hoptrace
 * sees a request without `traceparent` and starts a new trace.
 */
import type { IncomingMessage } from 'node:http';

/** W3C Trace Context, then B3 (single and multi) and Jaeger, for hoptraces configured to propagate those. */
export const TRACE_HEADERS = [
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
] as const;

export function traceHeaders(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of TRACE_HEADERS) {
    const value = incoming.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}
