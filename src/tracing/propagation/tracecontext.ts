/**
 * W3C Trace Context (`traceparent` + `tracestate`), Level 2 where it adds to Level 1
 * (https://www.w3.org/TR/trace-context-2/).
 *
 * `traceparent` is parsed by @opentelemetry/core's `parseTraceParent` (version `ff` and all-zero ids
 * rejected, version 00 with extra fields rejected, higher versions read by their first four fields).
 * What the library lacks is written here:
 * - `tracestate` by the Level 2 rules, discarded whole when invalid (tracestate.ts);
 * - the Level 2 random-trace-id flag (0x02). The SDK gives every span flags 00 or 01, so the bit is carried
 *   beside the span context and put back on what is injected and on `traceresponse`:
 *   "A participant that continues a trace started upstream [...] MUST set the random-trace-id flag [...] to
 *   the same value that was found in the incoming traceparent header" (#random-trace-id-flag), and a trace
 *   hoptrace starts has a random id (the SDK's RandomIdGenerator draws every byte), so the flag is set on it.
 * - "Vendors will set all unparsed / unknown trace-flags to 0 on outgoing requests" (processing model 2.2):
 *   only 0x01 and 0x02 are ever written.
 */
import {
  type Context,
  createContextKey,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { isTracingSuppressed, parseTraceParent, TRACE_PARENT_HEADER, TRACE_STATE_HEADER } from '@opentelemetry/core';
import { parseTraceState } from './tracestate.js';
import { EMPTY_CONTEXT } from '../context.js';
import { isValidSpanContext } from '../span-context.js';

export { TRACE_PARENT_HEADER, TRACE_STATE_HEADER };

/** Level 2: "The second least significant bit of the trace-flags field denotes the random-trace-id flag." */
export const RANDOM_TRACE_ID_FLAG = 0x02;
const KNOWN_FLAGS = TraceFlags.SAMPLED | RANDOM_TRACE_ID_FLAG;
const FLAGS_HEX = ['00', '01', '02', '03'] as const;

/**
 * Whether the trace id of a continued trace is declared random, as the incoming traceparent's 0x02 said
 * (false for a trace continued from B3 or Jaeger, which make no such claim). Absent: hoptrace made the id.
 */
export const TRACE_ID_RANDOM_KEY = createContextKey('hoptrace trace id is random');
/** Extraction normally starts from an empty context: these save it one context per request. */
const ROOT_RANDOM = EMPTY_CONTEXT.setValue(TRACE_ID_RANDOM_KEY, true);
const ROOT_NOT_RANDOM = EMPTY_CONTEXT.setValue(TRACE_ID_RANDOM_KEY, false);

/** The flags hoptrace writes for `spanContext`: its sampled bit, and the random bit of the trace it belongs to. */
export function outgoingTraceFlags(context: Context, spanContext: SpanContext): number {
  const random = context.getValue(TRACE_ID_RANDOM_KEY) !== false;
  return (spanContext.traceFlags & TraceFlags.SAMPLED) | (random ? RANDOM_TRACE_ID_FLAG : 0);
}

/** `00-<trace id>-<span id>-<flags>` for the active span of `context`; the form of traceparent and traceresponse. */
export function formatTraceParent(context: Context): string | undefined {
  const spanContext = trace.getSpanContext(context);
  if (spanContext === undefined || !isValidSpanContext(spanContext)) return undefined;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${FLAGS_HEX[outgoingTraceFlags(context, spanContext)]}`;
}

export function createTraceContextPropagator(): TextMapPropagator {
  return {
    extract(context, carrier, getter: TextMapGetter) {
      const header = getter.get(carrier, TRACE_PARENT_HEADER);
      const value = Array.isArray(header) ? header[0] : header;
      if (typeof value !== 'string') return context;
      const parsed = parseTraceParent(value);
      if (parsed === null) return context;
      const traceFlags = parsed.traceFlags & KNOWN_FLAGS;
      // SPEC §3 and Level 2 §3.3: tracestate is only read beside a valid traceparent.
      const spanContext: SpanContext = {
        traceId: parsed.traceId,
        spanId: parsed.spanId,
        traceFlags,
        isRemote: true,
        traceState: parseTraceState(getter.get(carrier, TRACE_STATE_HEADER)),
      };
      const random = (traceFlags & RANDOM_TRACE_ID_FLAG) !== 0;
      const empty = context === EMPTY_CONTEXT || context === ROOT_CONTEXT;
      const base = empty ? (random ? ROOT_RANDOM : ROOT_NOT_RANDOM) : context.setValue(TRACE_ID_RANDOM_KEY, random);
      return trace.setSpanContext(base, spanContext);
    },
    inject(context, carrier, setter: TextMapSetter) {
      if (isTracingSuppressed(context)) return;
      const traceParent = formatTraceParent(context);
      if (traceParent === undefined) return;
      setter.set(carrier, TRACE_PARENT_HEADER, traceParent);
      const traceState = trace.getSpanContext(context)?.traceState?.serialize();
      if (traceState) setter.set(carrier, TRACE_STATE_HEADER, traceState);
    },
    fields: () => [TRACE_PARENT_HEADER, TRACE_STATE_HEADER],
  };
}
