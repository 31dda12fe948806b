import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBoundedProcessor } from '../../../src/export/bounded-processor.js';

function endedSpans(count: number): ReadableSpan[] {
  const provider = new BasicTracerProvider({ spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }] });
  const tracer = provider.getTracer('t');
  const spans: ReadableSpan[] = [];
  for (let i = 0; i < count; i += 1) {
    const span = tracer.startSpan(`s${i}`);
    span.end();
    spans.push(span as unknown as ReadableSpan);
  }
  return spans;
}

/** An exporter that never answers until told to. */
function hangingExporter(): SpanExporter & { calls: ReadableSpan[][]; answer(result: ExportResult): void } {
  const pending: Array<(result: ExportResult) => void> = [];
  const calls: ReadableSpan[][] = [];
  return {
    calls,
    export(spans, done) {
      calls.push(spans);
      pending.push(done);
    },
    answer(result) {
      pending.pop()?.(result); // the most recent call
    },
    shutdown: async () => {},
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('bounded span processor', () => {
  it('exports in batches after the scheduled delay', async () => {
    vi.useFakeTimers();
    const memory = new InMemorySpanExporter();
    const processor = createBoundedProcessor(memory, { name: 'm', scheduledDelayMs: 100, maxBatchSize: 10 });
    for (const span of endedSpans(3)) processor.onEnd(span);
    expect(memory.getFinishedSpans()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(memory.getFinishedSpans()).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1); // InMemorySpanExporter answers on the next tick
    expect(processor.stats()).toMatchObject({ exported: 3, dropped: 0, queueLength: 0 });
  });

  it('drops and counts spans beyond the queue cap while the exporter hangs', async () => {
    vi.useFakeTimers();
    const exporter = hangingExporter();
    const processor = createBoundedProcessor(exporter, { name: 'h', maxQueueSize: 5, maxBatchSize: 2, scheduledDelayMs: 10, exportTimeoutMs: 1_000 });
    for (const span of endedSpans(20)) processor.onEnd(span);
    // One batch of 2 went out (and hangs); 5 wait; the other 13 were dropped at once.
    expect(exporter.calls).toHaveLength(1);
    expect(processor.stats()).toMatchObject({ queueLength: 5, dropped: 13 });
    await vi.advanceTimersByTimeAsync(1_000); // the hanging batch times out and counts as dropped
    expect(processor.stats()).toMatchObject({ dropped: 15, failedExports: 1 });
    expect(exporter.calls).toHaveLength(2); // and the next batch goes on
    exporter.answer({ code: ExportResultCode.SUCCESS });
    await vi.advanceTimersByTimeAsync(0);
    expect(processor.stats().exported).toBe(2);
  });

  it('counts a failed export as dropped and resumes with the next batch', async () => {
    const exporter = hangingExporter();
    const errors: string[] = [];
    const processor = createBoundedProcessor(exporter, { name: 'f', maxBatchSize: 1, onExportError: (name, error) => errors.push(`${name}: ${error.message}`) });
    const [a, b] = endedSpans(2);
    processor.onEnd(a!);
    processor.onEnd(b!);
    exporter.answer({ code: ExportResultCode.FAILED, error: new Error('down') });
    await vi.waitFor(() => expect(exporter.calls).toHaveLength(2));
    exporter.answer({ code: ExportResultCode.SUCCESS });
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 1, dropped: 1, failedExports: 1 });
    expect(errors).toEqual(['f: down']);
  });

  it('flushes everything on shutdown and drops what ends afterwards', async () => {
    const memory = new InMemorySpanExporter();
    const processor = createBoundedProcessor(memory, { name: 'm', scheduledDelayMs: 60_000, maxBatchSize: 2 });
    const spans = endedSpans(5);
    for (const span of spans.slice(0, 4)) processor.onEnd(span);
    await processor.shutdown();
    expect(processor.stats()).toMatchObject({ exported: 4, dropped: 0 });
    processor.onEnd(spans[4]!);
    expect(processor.stats().dropped).toBe(1);
  });
});
