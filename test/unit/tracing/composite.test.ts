import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { PropagationFormat } from '../../../src/config/types.js';
import { createPropagator, headersGetter } from '../../../src/tracing/propagation.js';

const W3C = { trace: '4bf92f3577b34da6a3ce929d0e0e4736', span: '00f067aa0ba902b7' };
const B3 = { trace: '80f198ee56343ba864fe8b2a57d3eff7', span: 'e457b5a2e4d86bd1' };
const JAEGER = { trace: 'a3ce929d0e0e4736a3ce929d0e0e4736', span: '05e3ac9a4f6e3b90' };
const ALL = {
  traceparent: `00-${W3C.trace}-${W3C.span}-01`,
  b3: `${B3.trace}-${B3.span}-1`,
  'uber-trace-id': `${JAEGER.trace}:${JAEGER.span}:0:1`,
};

describe('the propagation dispatcher', () => {
  const order: Array<[PropagationFormat[], Record<string, string>, { trace: string; span: string }]> = [
    [['tracecontext', 'b3', 'jaeger'], ALL, W3C],
    [['b3', 'tracecontext', 'jaeger'], ALL, B3],
    [['jaeger', 'b3', 'tracecontext'], ALL, JAEGER],
    [['tracecontext', 'b3'], { ...ALL, traceparent: 'invalid' }, B3],
    [['tracecontext', 'jaeger'], { ...ALL, traceparent: `00-${'0'.repeat(32)}-${W3C.span}-01` }, JAEGER],
    [['b3'], { traceparent: ALL.traceparent }, { trace: '', span: '' }],
  ];
  it.each(order)('with %j takes the first valid context', (formats, headers, expected) => {
    const spanContext = trace.getSpanContext(createPropagator(formats).extract(ROOT_CONTEXT, headers, headersGetter));
    expect({ trace: spanContext?.traceId ?? '', span: spanContext?.spanId ?? '' }).toEqual(expected);
  });

  it('injects every configured format from one span context, with no randomness claim for a B3 trace id', () => {
    const propagator = createPropagator(['tracecontext', 'b3', 'jaeger']);
    const extracted = propagator.extract(ROOT_CONTEXT, { b3: ALL.b3 }, headersGetter);
    const child = trace.setSpanContext(extracted, { traceId: B3.trace, spanId: '1111111111111111', traceFlags: 1 });
    const out: Record<string, string> = {};
    propagator.inject(child, out, { set: (carrier, key, value) => void (carrier[key] = value) });
    expect(out).toEqual({
      traceparent: `00-${B3.trace}-1111111111111111-01`,
      b3: `${B3.trace}-1111111111111111-1`,
      'x-b3-traceid': B3.trace,
      'x-b3-spanid': '1111111111111111',
      'x-b3-sampled': '1',
      'uber-trace-id': `${B3.trace}:1111111111111111:0:01`,
    });
  });
});
