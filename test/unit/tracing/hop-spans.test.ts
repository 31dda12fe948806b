import { ROOT_CONTEXT, type Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { describe, expect, it } from 'vitest';
import { describeClientSpan, describeServerSpan, startClientSpan, startServerSpan } from '../../../src/tracing/hop-spans.js';
import { createHopTracer, setOwnAttributes, type SpanLimits } from '../../../src/tracing/hop-tracer.js';
import { createIdGenerator } from '../../../src/tracing/id-generator.js';
import { createSampler } from '../../../src/tracing/sampler.js';

const LIMITS: SpanLimits = { attributeCountLimit: 4, attributeValueLengthLimit: 8, eventCountLimit: 4, linkCountLimit: 4 };

function tracerWith(limits: SpanLimits = { ...LIMITS, attributeCountLimit: 128, attributeValueLengthLimit: 4096 }) {
  const memory = new InMemorySpanExporter();
  const tracer = createHopTracer({
    resource: resourceFromAttributes({ 'service.name': 'edge' }),
    scope: { name: 'hoptrace' },
    sampler: createSampler({ sampleRate: 1 }),
    processors: [new SimpleSpanProcessor(memory)],
    limits,
    ids: createIdGenerator(),
  });
  const finished = (): ReadableSpan[] => memory.getFinishedSpans();
  return { tracer, finished };
}

describe('hop spans', () => {
  it('record the semantic-convention keys (written out in hop-spans.ts, checked here against the constants)', () => {
    const { tracer, finished } = tracerWith();
    const server = startServerSpan(tracer, ROOT_CONTEXT, 'GET', '/orders');
    describeServerSpan(server, {
      method: 'GET',
      path: '/orders',
      scheme: 'http',
      serverAddress: 'shop.example',
      serverPort: 8080,
      clientAddress: '127.0.0.1',
      userAgent: undefined,
      protocolVersion: '1.1',
      routeName: 'orders',
      httpRoute: '/orders',
    });
    const client = startClientSpan(tracer, ROOT_CONTEXT, 'GET', '/orders');
    describeClientSpan(client, {
      method: 'GET',
      url: 'http://10.0.0.7:3001/orders',
      serverAddress: '10.0.0.7',
      serverPort: 3001,
      peerService: undefined,
    });
    client.end();
    server.end();
    const [clientSpan, serverSpan] = finished();
    expect(serverSpan!.name).toBe('GET /orders');
    expect(clientSpan!.name).toBe('GET /orders');
    expect(serverSpan!.attributes).toEqual({
      [ATTR_HTTP_REQUEST_METHOD]: 'GET',
      [ATTR_URL_PATH]: '/orders',
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_SERVER_ADDRESS]: 'shop.example',
      [ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
      [ATTR_SERVER_PORT]: 8080,
      [ATTR_CLIENT_ADDRESS]: '127.0.0.1',
      [ATTR_HTTP_ROUTE]: '/orders',
      'hoptrace.route': 'orders',
    });
    expect(clientSpan!.attributes).toEqual({
      [ATTR_HTTP_REQUEST_METHOD]: 'GET',
      [ATTR_SERVER_ADDRESS]: '10.0.0.7',
      [ATTR_SERVER_PORT]: 3001,
      [ATTR_URL_FULL]: 'http://10.0.0.7:3001/orders',
    });
  });
});

describe('hop tracer: setOwnAttributes', () => {
  const start = (tracer: ReturnType<typeof tracerWith>['tracer'], attributes: Attributes) => {
    const span = tracer.startSpan('span', {}, ROOT_CONTEXT);
    setOwnAttributes(span, attributes);
    return span;
  };

  it('keeps the given object when every entry is within the limits, and later attributes go into it', () => {
    const { tracer, finished } = tracerWith(LIMITS);
    const attributes: Attributes = { a: 'short', b: 3, c: true };
    const span = start(tracer, attributes);
    span.setAttribute('d', 'x');
    span.setAttribute('e', 'over the count limit');
    span.end();
    const [recorded] = finished();
    expect(recorded!.attributes).toBe(attributes);
    expect(recorded!.attributes).toEqual({ a: 'short', b: 3, c: true, d: 'x' });
    expect(recorded!.droppedAttributesCount).toBe(1);
  });

  it('copies as setAttributes does when an entry is over a limit or not an attribute value', () => {
    const { tracer, finished } = tracerWith(LIMITS);
    const long: Attributes = { a: 'much longer than eight' };
    const many: Attributes = { a: 1, b: 2, c: 3, d: 4, e: 5 };
    const invalid = { a: 'ok', b: { nested: true } } as unknown as Attributes;
    const inherited = Object.create({ fromPrototype: 'x' }) as Attributes;
    inherited.own = 'y';
    for (const attributes of [long, many, invalid, inherited]) start(tracer, attributes).end();
    const [longSpan, manySpan, invalidSpan, inheritedSpan] = finished();
    expect(longSpan!.attributes).not.toBe(long);
    expect(longSpan!.attributes).toEqual({ a: 'much lon' });
    expect(manySpan!.attributes).toEqual({ a: 1, b: 2, c: 3, d: 4 });
    expect(manySpan!.droppedAttributesCount).toBe(1);
    expect(invalidSpan!.attributes).toEqual({ a: 'ok' });
    expect(inheritedSpan!.attributes).toEqual({ own: 'y' });
    expect(Object.getPrototypeOf(inheritedSpan!.attributes)).toBe(Object.prototype);
  });

  it('copies into a span that has attributes already, and the attributes of startSpan are always copied', () => {
    const { tracer, finished } = tracerWith(LIMITS);
    const given: Attributes = { a: 'short' };
    const span = tracer.startSpan('span', { attributes: given }, ROOT_CONTEXT);
    const more: Attributes = { b: 'more' };
    setOwnAttributes(span, more);
    span.end();
    given.a = 'changed';
    const [recorded] = finished();
    expect(recorded!.attributes).toEqual({ a: 'short', b: 'more' });
    expect(recorded!.attributes).not.toBe(more);
  });

  it('leaves the span of another tracer to its setAttributes, and a span that is not recorded alone', () => {
    const { tracer, finished } = tracerWith(LIMITS);
    const unsampled = createHopTracer({
      resource: resourceFromAttributes({}),
      scope: { name: 'hoptrace' },
      sampler: createSampler({ sampleRate: 0 }),
      processors: [],
      limits: LIMITS,
      ids: createIdGenerator(),
    }).startSpan('dropped', {}, ROOT_CONTEXT);
    expect(unsampled.isRecording()).toBe(false);
    expect(() => setOwnAttributes(unsampled, { a: 'x' })).not.toThrow();
    expect(finished()).toHaveLength(0);
  });
});
