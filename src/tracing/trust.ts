/**
 * Trust at the edge. On a route with `trustIncomingContext: false` the callers are outside, so what they send
 * must not steer the trace: their trace id is not continued (nobody outside can join or collide with internal
 * traces), their sampled flag is not obeyed (nobody outside can force recording), and their tracestate is
 * dropped. This is the W3C "Restart trace" mutation (#mutating-the-traceparent-field: "used in services that
 * are defined as a front gate into secure networks"; "Vendors SHOULD clean up tracestate collection on
 * traceparent restart"). The incoming context is not lost: the SERVER span records it as a link.
 */
import { type Context, type Link, trace } from '@opentelemetry/api';
import { EMPTY_CONTEXT } from './context.js';

/** The parent of the SERVER span: the incoming context, or none (a new trace) when it is not trusted. */
export function serverParent(incoming: Context, trusted: boolean): Context {
  return trusted ? incoming : EMPTY_CONTEXT;
}

/** The links of the SERVER span: the incoming span context (without its tracestate) when it is not trusted. */
export function serverLinks(incoming: Context, trusted: boolean): Link[] | undefined {
  if (trusted) return undefined;
  const spanContext = trace.getSpanContext(incoming);
  if (spanContext === undefined) return undefined;
  const { traceId, spanId, traceFlags, isRemote } = spanContext;
  return [{ context: { traceId, spanId, traceFlags, isRemote } }];
}
