import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { createB3Propagator, SAMPLING_DEFERRED_KEY, SAMPLING_DENIED_KEY } from '../../../src/tracing/propagation/b3.js';
import { headersGetter } from '../../../src/tracing/propagation.js';

const propagator = createB3Propagator();
const TRACE_ID = '80f198ee56343ba864fe8b2a57d3eff7';
const SPAN_ID = 'e457b5a2e4d86bd1';
const PARENT_ID = '05e3ac9a4f6e3b90';

function extract(headers: Record<string, string>): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headersGetter);
}

function parsed(headers: Record<string, string>): [string, string, number, boolean] | undefined {
  const context = extract(headers);
  const spanContext = trace.getSpanContext(context);
  return spanContext && [spanContext.traceId, spanContext.spanId, spanContext.traceFlags, context.getValue(SAMPLING_DEFERRED_KEY) === true];
}

describe('b3 extraction', () => {
  // [what, headers, [trace id, span id, sampled flag, decision deferred]]
  const valid: Array<[string, Record<string, string>, [string, string, number, boolean]]> = [
    ['the spec single header', { b3: `${TRACE_ID}-${SPAN_ID}-1-${PARENT_ID}` }, [TRACE_ID, SPAN_ID, 1, false]],
    ['a single header, not sampled', { b3: `${TRACE_ID}-${SPAN_ID}-0` }, [TRACE_ID, SPAN_ID, 0, false]],
    ['a single header, debug', { b3: `${TRACE_ID}-${SPAN_ID}-d` }, [TRACE_ID, SPAN_ID, 1, false]],
    ['a single header with a 64-bit trace id', { b3: `a3ce929d0e0e4736-${SPAN_ID}-1` }, [`0000000000000000a3ce929d0e0e4736`, SPAN_ID, 1, false]],
    ['a single header without a sampling state', { b3: `${TRACE_ID}-${SPAN_ID}` }, [TRACE_ID, SPAN_ID, 0, true]],
    ['the multi headers', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-parentspanid': PARENT_ID, 'x-b3-sampled': '1' }, [TRACE_ID, SPAN_ID, 1, false]],
    ['the multi headers, not sampled', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '0' }, [TRACE_ID, SPAN_ID, 0, false]],
    ['the multi headers, debug', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-flags': '1' }, [TRACE_ID, SPAN_ID, 1, false]],
    ['the multi headers with "true"', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': 'true' }, [TRACE_ID, SPAN_ID, 1, false]],
    ['the multi headers without a sampling state', { 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': SPAN_ID }, ['0000000000000000a3ce929d0e0e4736', SPAN_ID, 0, true]],
    ['the single header before conflicting multi headers', { b3: `${TRACE_ID}-${SPAN_ID}-1`, 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': PARENT_ID, 'x-b3-sampled': '0' }, [TRACE_ID, SPAN_ID, 1, false]],
    ['the multi headers when the single one is invalid', { b3: 'garbage', 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' }, [TRACE_ID, SPAN_ID, 1, false]],
  ];
  it.each(valid)('reads %s', (_what, headers, expected) => {
    expect(parsed(headers)).toEqual(expected);
  });

  const invalid: Array<[string, Record<string, string>]> = [
    ['ids inside a longer single header', { b3: `xx${TRACE_ID}-${SPAN_ID}-1` }],
    ['an upper-case single header', { b3: `${TRACE_ID.toUpperCase()}-${SPAN_ID}-1` }],
    ['an unknown sampling state', { b3: `${TRACE_ID}-${SPAN_ID}-2` }],
    ['an accept or debug state alone (only a deny may come without ids)', { b3: '1' }],
    ['a debug state alone', { b3: 'd' }],
    ['an all-zero trace id', { b3: `${'0'.repeat(32)}-${SPAN_ID}-1` }],
    ['a one-digit X-B3-TraceId', { 'x-b3-traceid': '1', 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' }],
    ['an upper-case X-B3-TraceId', { 'x-b3-traceid': TRACE_ID.toUpperCase(), 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' }],
    ['a short X-B3-SpanId', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID.slice(1), 'x-b3-sampled': '1' }],
    ['an invalid X-B3-Sampled', { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': 'yes' }],
    ['X-B3-SpanId alone', { 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' }],
  ];
  it.each(invalid)('ignores %s', (_what, headers) => {
    expect(extract(headers)).toBe(ROOT_CONTEXT);
  });
});

describe('b3 injection', () => {
  it('writes the single header and the multi headers with the same ids', () => {
    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
    const out: Record<string, string> = {};
    propagator.inject(context, out, { set: (carrier, key, value) => void (carrier[key] = value) });
    expect(out).toEqual({ b3: `${TRACE_ID}-${SPAN_ID}-1`, 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' });
  });

  it.each([
    ['b3: 0', { b3: '0' }],
    ['X-B3-Sampled: 0 without ids', { 'x-b3-sampled': '0' }],
  ])('marks a deny without ids (%s) and finds no span context in it', (_what, headers) => {
    const context = extract(headers);
    expect(context.getValue(SAMPLING_DENIED_KEY)).toBe(true);
    expect(trace.getSpanContext(context)).toBeUndefined();
  });
});
