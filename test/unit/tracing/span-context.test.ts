import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { HopSpanContext, isValidSpanContext } from '../../../src/tracing/span-context.js';

describe('isValidSpanContext', () => {
  it("takes hoptrace's own span contexts as valid and checks any other as the API does", () => {
    const own = new HopSpanContext('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', TraceFlags.SAMPLED, undefined);
    expect(isValidSpanContext(own)).toBe(true);
    expect(trace.isSpanContextValid(own)).toBe(true); // the shortcut agrees with the API on it

    const valid = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    expect(isValidSpanContext(valid)).toBe(true);
    expect(isValidSpanContext(INVALID_SPAN_CONTEXT)).toBe(false);
    expect(isValidSpanContext({ ...valid, traceId: 'not-hex-not-hex-not-hex-not-hex!' })).toBe(false);
    expect(isValidSpanContext({ ...valid, spanId: '0000000000000000' })).toBe(false);
  });
  it('is what a span of the non-recording kind carries too', () => {
    const own = new HopSpanContext('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', TraceFlags.NONE, undefined);
    const span = trace.wrapSpanContext(own);
    expect(span.spanContext()).toBe(own);
    expect(isValidSpanContext(trace.getSpanContext(trace.setSpan(ROOT_CONTEXT, span))!)).toBe(true);
  });
});
