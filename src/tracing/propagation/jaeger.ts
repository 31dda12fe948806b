/**
 * Jaeger's `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`
 * (https://www.jaegertracing.io/docs/client-libraries/#tracespan-identity), parsed and written by
 * @opentelemetry/propagator-jaeger.
 *
 * The header is checked against the format before the library sees it, because the library takes any four
 * colon-separated fields: it does not check that the ids are hex, and it reads flags it cannot parse as
 * "sampled", so a garbage header would force sampling. Ids are hex of up to 32 / 16 digits (shorter ones are
 * left-padded with zeros, as Jaeger clients do), flags one or two hex digits; upper-case hex is accepted
 * (Jaeger clients parse with base 16) and lower-cased, since the ids go on into `traceparent` and `b3`,
 * which are lower-hex only. The header may be URL-encoded (`%3A` for `:`), as some Jaeger clients send it.
 *
 * Only the span context is extracted: the library would also turn `uberctx-*` headers into baggage and inject
 * them again, but the proxy passes those headers through untouched anyway.
 */
import { ROOT_CONTEXT, type TextMapPropagator, trace } from '@opentelemetry/api';
import { JaegerPropagator, UBER_TRACE_ID_HEADER } from '@opentelemetry/propagator-jaeger';

export { UBER_TRACE_ID_HEADER };

const UBER_TRACE_ID = /^[0-9a-f]{1,32}:[0-9a-f]{1,16}:[0-9a-f]{1,16}:[0-9a-f]{1,2}$/i;

/** The carrier the library reads from: just the checked header (its getter default reads a plain object). */
const headerGetter = {
  keys: (carrier: string): string[] => [UBER_TRACE_ID_HEADER],
  get: (carrier: string, key: string): string | undefined => (key === UBER_TRACE_ID_HEADER ? carrier : undefined),
};

export function createJaegerPropagator(): TextMapPropagator {
  const library = new JaegerPropagator();
  return {
    extract(context, carrier, getter) {
      const header = getter.get(carrier, UBER_TRACE_ID_HEADER);
      const raw = Array.isArray(header) ? header[0] : header;
      if (raw === undefined) return context;
      const decoded = raw.includes('%') ? decode(raw) : raw;
      if (decoded === undefined || !UBER_TRACE_ID.test(decoded)) return context;
      const spanContext = trace.getSpanContext(library.extract(ROOT_CONTEXT, decoded.toLowerCase(), headerGetter));
      // A zero trace or span id passes the format check; Jaeger calls it invalid, and so does isSpanContextValid.
      if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return context;
      return trace.setSpanContext(context, spanContext);
    },
    inject(context, carrier, setter) {
      library.inject(context, carrier, setter);
    },
    fields: () => [UBER_TRACE_ID_HEADER],
  };
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
