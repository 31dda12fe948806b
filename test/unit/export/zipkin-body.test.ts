import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { toZipkinSpan } from '../../../src/export/zipkin-model.js';
import { encodeZipkinJson, zipkinJsonBody } from '../../../src/export/zipkin.js';

describe('Zipkin export body', () => {
  it('is the JSON array of the encoded spans, byte for byte in UTF-8, whatever characters they hold', () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'caf\u00e9' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
    const tracer = provider.getTracer('t');
    for (const path of ['/plain', '/\u00e9t\u00e9/\u6f22\u5b57', '/\u{1f680}', '/quote"back\\slash\nline', '/lone\ud800']) {
      tracer.startSpan(`GET ${path}`, { kind: SpanKind.SERVER, attributes: { 'url.path': path } }, ROOT_CONTEXT).end();
    }
    const spans = memory.getFinishedSpans();
    const encoded = spans.map(encodeZipkinJson);
    const body = zipkinJsonBody(encoded);
    expect(body.equals(Buffer.from(`[${encoded.join(',')}]`, 'utf8'))).toBe(true);
    expect(JSON.parse(body.toString('utf8'))).toEqual(spans.map(toZipkinSpan));
  });

  it('is an empty array for no spans, and one span without a comma', () => {
    expect(zipkinJsonBody([]).toString()).toBe('[]');
    expect(zipkinJsonBody(['{"id":"a"}']).toString()).toBe('[{"id":"a"}]');
  });
});
