import { createContextKey, defaultTextMapGetter, defaultTextMapSetter, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { EMPTY_CONTEXT } from '../../../src/tracing/context.js';

const A = createContextKey('a');
const B = createContextKey('b');

describe('EMPTY_CONTEXT (chained context)', () => {
  it('is immutable: setValue and deleteValue return new contexts and leave the old ones as they were', () => {
    const one = EMPTY_CONTEXT.setValue(A, 1);
    const two = one.setValue(B, 2);
    const replaced = two.setValue(A, 3);
    const deleted = replaced.deleteValue(A);
    expect(EMPTY_CONTEXT.getValue(A)).toBeUndefined();
    expect([one.getValue(A), one.getValue(B)]).toEqual([1, undefined]);
    expect([two.getValue(A), two.getValue(B)]).toEqual([1, 2]);
    expect([replaced.getValue(A), replaced.getValue(B)]).toEqual([3, 2]);
    expect([deleted.getValue(A), deleted.getValue(B)]).toEqual([undefined, 2]);
    expect(two.deleteValue(createContextKey('absent'))).toBe(two);
  });

  it('carries spans for the trace API and a library propagator, as ROOT_CONTEXT does', () => {
    const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
    const context = trace.setSpanContext(EMPTY_CONTEXT, spanContext);
    expect(trace.getSpanContext(context)).toEqual(spanContext);
    expect(trace.getSpanContext(trace.deleteSpan(context))).toBeUndefined();
    const carrier: Record<string, string> = {};
    const w3c = new W3CTraceContextPropagator();
    w3c.inject(context, carrier, defaultTextMapSetter);
    expect(carrier.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(trace.getSpanContext(w3c.extract(EMPTY_CONTEXT, carrier, defaultTextMapGetter))).toMatchObject({ ...spanContext, isRemote: true });
  });
});
