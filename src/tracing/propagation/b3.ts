/**
 * B3 (https://github.com/openzipkin/b3-propagation): the single `b3` header and the multi `X-B3-*` headers,
 * parsed and written by @opentelemetry/propagator-b3.
 *
 * Extraction reads the single header first (B3 spec: it wins when both are present) and falls back to the
 * multi headers when the single one is absent or invalid. Before a header reaches the library it is checked
 * against the B3 grammar, because the library is lenient where a proxy must not be: its single-header regex
 * is not anchored (it finds ids inside any longer string), and for `X-B3-TraceId` it left-pads any length
 * (`1` becomes a valid 128-bit id) and accepts upper-case hex, which would then be written into an upstream
 * `traceparent` that W3C parsers reject.
 *
 * A B3 request without a sampling state (`X-B3-Sampled`/`X-B3-Flags` absent, or a single header with only
 * the two ids) "defers" the decision to the receiver. The library reads that as "not sampled"; the context is
 * marked with SAMPLING_DEFERRED_KEY so the sampler treats it as a request without a decision (SPEC §2).
 *
 * A B3 request may also carry a sampling state alone, without ids: `b3: 0`, or `X-B3-Sampled: 0` without
 * `X-B3-TraceId`, is the B3 spec's "deny" ("do not sample this request"), sent by callers that want nothing
 * recorded downstream (health checks, load tests). The library finds no context in it and drops it; here the
 * context is marked with SAMPLING_DENIED_KEY, and the sampler starts a new trace that is not sampled. A deny
 * is a decision like any other: a route with `trustIncomingContext: false` ignores it.
 *
 * Injection writes both encodings with the same ids: B3 receivers differ in which one they read (Envoy and
 * older Zipkin tracers only the multi headers, newer Brave and OpenTelemetry's `b3` only the single one),
 * and a proxy cannot know which one is behind it. The cost is five short headers.
 */
import { type Context, createContextKey, type TextMapGetter, type TextMapPropagator } from '@opentelemetry/api';
import {
  B3_CONTEXT_HEADER,
  B3InjectEncoding,
  B3Propagator,
  X_B3_FLAGS,
  X_B3_PARENT_SPAN_ID,
  X_B3_SAMPLED,
  X_B3_SPAN_ID,
  X_B3_TRACE_ID,
} from '@opentelemetry/propagator-b3';

export { B3_CONTEXT_HEADER, X_B3_FLAGS, X_B3_PARENT_SPAN_ID, X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID };

/** Set on a context whose remote parent came without a sampling decision. */
export const SAMPLING_DEFERRED_KEY = createContextKey('hoptrace sampling deferred');

/** Set on a context whose caller sent a B3 "deny" without ids: hoptrace starts a trace that is not sampled. */
export const SAMPLING_DENIED_KEY = createContextKey('hoptrace sampling denied');

/** `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`, lower-hex, 64- or 128-bit trace id. */
const SINGLE = /^(?:[0-9a-f]{16}|[0-9a-f]{32})-[0-9a-f]{16}(?:-([01d])(?:-[0-9a-f]{16})?)?$/;
const TRACE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

export function createB3Propagator(): TextMapPropagator {
  // One propagator per encoding: B3Propagator extracts both but injects only the one it is built for.
  const single = new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
  const multi = new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
  const fields = [...single.fields(), ...multi.fields()];

  return {
    extract(context, carrier, getter) {
      const singleHeader = first(getter, carrier, B3_CONTEXT_HEADER);
      if (singleHeader !== undefined) {
        const match = SINGLE.exec(singleHeader);
        if (match !== null) return deferIfNoDecision(single.extract(context, carrier, getter), context, match[1] === undefined);
        if (singleHeader === '0') return context.setValue(SAMPLING_DENIED_KEY, true);
      }
      const traceId = first(getter, carrier, X_B3_TRACE_ID);
      const spanId = first(getter, carrier, X_B3_SPAN_ID);
      if (traceId === undefined && spanId === undefined && singleHeader === undefined && first(getter, carrier, X_B3_SAMPLED) === '0') {
        return context.setValue(SAMPLING_DENIED_KEY, true);
      }
      if (traceId === undefined || spanId === undefined || !TRACE_ID.test(traceId) || !SPAN_ID.test(spanId)) return context;
      // The library reads a present single header in preference to the multi ones; here it is invalid.
      const multiGetter = singleHeader === undefined ? getter : withoutSingle(getter);
      const noDecision = first(getter, carrier, X_B3_SAMPLED) === undefined && first(getter, carrier, X_B3_FLAGS) === undefined;
      return deferIfNoDecision(multi.extract(context, carrier, multiGetter), context, noDecision);
    },
    inject(context, carrier, setter) {
      single.inject(context, carrier, setter);
      multi.inject(context, carrier, setter);
    },
    fields: () => fields,
  };
}

function deferIfNoDecision(extracted: Context, original: Context, noDecision: boolean): Context {
  return noDecision && extracted !== original ? extracted.setValue(SAMPLING_DEFERRED_KEY, true) : extracted;
}

function first(getter: TextMapGetter, carrier: unknown, key: string): string | undefined {
  const value = getter.get(carrier, key);
  return Array.isArray(value) ? value[0] : value;
}

/** A getter that does not see the `b3` header; only built for the rare request with an invalid one. */
function withoutSingle(getter: TextMapGetter): TextMapGetter {
  return {
    keys: (carrier) => getter.keys(carrier).filter((key) => key !== B3_CONTEXT_HEADER),
    get: (carrier, key) => (key === B3_CONTEXT_HEADER ? undefined : getter.get(carrier, key)),
  };
}
