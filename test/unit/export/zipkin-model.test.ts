import { SpanKind, SpanStatusCode, ROOT_CONTEXT } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeZipkinSpan, toZipkinSpan } from '../../../src/export/zipkin-model.js';

function tracerFor(service: string) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  return { tracer: provider.getTracer('t'), memory };
}

describe('Zipkin v2 model', () => {
  it("names the span's resource service as localEndpoint and does not copy resource attributes into tags", () => {
    const { tracer, memory } = tracerFor('orders');
    tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, attributes: { 'url.path': '/orders' } }, ROOT_CONTEXT).end();
    const zipkin = toZipkinSpan(memory.getFinishedSpans()[0]!);
    expect(zipkin.localEndpoint).toEqual({ serviceName: 'orders' });
    expect(zipkin.kind).toBe('SERVER');
    expect(zipkin.tags).toEqual({ 'url.path': '/orders' });
    expect(zipkin.parentId).toBeUndefined();
    expect(zipkin.duration).toBeGreaterThanOrEqual(1);
  });

  it('gives a CLIENT span a remoteEndpoint from peer.service, else host:port', () => {
    const { tracer, memory } = tracerFor('edge');
    tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'server.address': '10.0.0.7', 'server.port': 3001, 'peer.service': 'inventory' } }).end();
    tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'server.address': 'orders.internal', 'server.port': 80 } }).end();
    tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'server.address': '::1', 'server.port': 8080 } }).end();
    const [peer, host, v6] = memory.getFinishedSpans().map(toZipkinSpan);
    expect(peer!.remoteEndpoint).toEqual({ serviceName: 'inventory', ipv4: '10.0.0.7', port: 3001 });
    expect(host!.remoteEndpoint).toEqual({ serviceName: 'orders.internal:80', port: 80 });
    expect(v6!.remoteEndpoint).toEqual({ serviceName: '::1:8080', ipv6: '::1', port: 8080 });
  });

  it('writes the error tag for an error status even without a message', () => {
    const { tracer, memory } = tracerFor('edge');
    const withType = tracer.startSpan('x', { attributes: { 'error.type': 'timeout' } });
    withType.setStatus({ code: SpanStatusCode.ERROR });
    withType.end();
    const bare = tracer.startSpan('y');
    bare.setStatus({ code: SpanStatusCode.ERROR });
    bare.end();
    const [a, b] = memory.getFinishedSpans().map(toZipkinSpan);
    expect(a!.tags).toMatchObject({ error: 'timeout', 'otel.status_code': 'ERROR' });
    expect(b!.tags).toMatchObject({ error: 'true' });
    expect(a!.kind).toBeUndefined(); // INTERNAL spans carry no kind in Zipkin
  });

  it('merges extra tags over the span\'s own, each key once', () => {
    const { tracer, memory } = tracerFor('edge');
    const span = tracer.startSpan('x', { attributes: { 'hoptrace.worker': 'mine', a: 'b' } });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.end();
    const [recorded] = memory.getFinishedSpans();
    const json = encodeZipkinSpan(recorded!, { 'hoptrace.worker': '2', error: 'replaced' }).json;
    expect(json.match(/"hoptrace\.worker"/g)).toHaveLength(1);
    expect(json.match(/"error"/g)).toHaveLength(1);
    const zipkin = toZipkinSpan(recorded!);
    expect(JSON.parse(json)).toEqual({ ...zipkin, tags: { ...zipkin.tags, 'hoptrace.worker': '2', error: 'replaced' } });
    // The one-off encoding with extra tags is not kept for later calls.
    expect(encodeZipkinSpan(recorded!).json).toBe(JSON.stringify(zipkin));
  });
});
