import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { createJaegerPropagator } from '../../../src/tracing/propagation/jaeger.js';
import { headersGetter } from '../../../src/tracing/propagation.js';

const propagator = createJaegerPropagator();
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

function extract(header: string, extra: Record<string, string> = {}): Context {
  return propagator.extract(ROOT_CONTEXT, { 'uber-trace-id': header, ...extra }, headersGetter);
}

describe('uber-trace-id extraction', () => {
  // [what, header, [trace id, span id, sampled flag]]
  const valid: Array<[string, string, [string, string, number]]> = [
    ['a 128-bit trace id, sampled', `${TRACE_ID}:${SPAN_ID}:0:1`, [TRACE_ID, SPAN_ID, 1]],
    ['a 64-bit trace id, not sampled', `a3ce929d0e0e4736:${SPAN_ID}:0:00`, ['0000000000000000a3ce929d0e0e4736', SPAN_ID, 0]],
    ['short ids, zero-padded', 'abc:def:0:1', ['00000000000000000000000000000abc', '0000000000000def', 1]],
    ['sampled and debug flags', `${TRACE_ID}:${SPAN_ID}:0:03`, [TRACE_ID, SPAN_ID, 1]],
    ['a URL-encoded header', `${TRACE_ID}%3A${SPAN_ID}%3A0%3A1`, [TRACE_ID, SPAN_ID, 1]],
    ['upper-case hex, lower-cased', `${TRACE_ID.toUpperCase()}:${SPAN_ID.toUpperCase()}:0:1`, [TRACE_ID, SPAN_ID, 1]],
  ];
  it.each(valid)('reads %s', (_what, header, [traceId, spanId, traceFlags]) => {
    expect(trace.getSpanContext(extract(header))).toEqual({ traceId, spanId, traceFlags, isRemote: true });
  });

  const invalid: Array<[string, string]> = [
    ['a zero trace id', `0:${SPAN_ID}:0:1`],
    ['a zero span id', `${TRACE_ID}:0:0:1`],
    ['flags that are not hex (the library would sample them)', `${TRACE_ID}:${SPAN_ID}:0:zz`],
    ['ids that are not hex', `${TRACE_ID.replace('4', 'g')}:${SPAN_ID}:0:1`],
    ['three fields', `${TRACE_ID}:${SPAN_ID}:1`],
    ['a 33-digit trace id', `f${TRACE_ID}:${SPAN_ID}:0:1`],
    ['a broken URL encoding', `${TRACE_ID}%3:${SPAN_ID}:0:1`],
  ];
  it.each(invalid)('ignores %s', (_what, header) => {
    expect(extract(header)).toBe(ROOT_CONTEXT);
  });

  it('extracts no baggage from uberctx- headers, which pass through on their own', () => {
    const context = extract(`${TRACE_ID}:${SPAN_ID}:0:1`, { 'uberctx-user': 'alice' });
    const out: Record<string, string> = {};
    propagator.inject(context, out, { set: (carrier, key, value) => void (carrier[key] = value) });
    expect(out).toEqual({ 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:01` });
  });
});
