/**
 * A batch span processor with a hard cap. Ended, sampled spans wait in a queue of at most `maxQueueSize`;
 * one export runs at a time, in batches of at most `maxBatchSize`, every `scheduledDelayMs` or as soon as a
 * batch is full. A span that finds the queue full is dropped and counted, never buffered, so a down or slow
 * exporter costs spans and never memory or request latency (SPEC §5). Each export has a deadline; a batch
 * that misses it is counted as dropped and the next one goes on.
 *
 * The model is BatchSpanProcessorBase in sdk-trace-base, which drops silently; this one keeps the counts
 * that /metrics reports. It can also queue something made from each span when it ends instead of the span
 * (`prepare`): the built-in store queues the span's JSON, so the span itself dies young.
 */
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { StoreAdmission } from './store-admission.js';

export interface BoundedProcessorOptions {
  /** Names the exporter in metrics and logs. */
  readonly name: string;
  readonly maxQueueSize?: number;
  readonly maxBatchSize?: number;
  readonly scheduledDelayMs?: number;
  readonly exportTimeoutMs?: number;
  /** Told of each failed export; never thrown to the request path. */
  readonly onExportError?: (name: string, error: Error) => void;
  /** Which ended spans this exporter takes (all when absent); the rest are counted as skipped. */
  readonly admission?: StoreAdmission;
}

export interface ExportStats {
  readonly name: string;
  /** Spans the exporter accepted. */
  readonly exported: number;
  /** Spans lost: queue full, export failed or timed out, or ended after shutdown. */
  readonly dropped: number;
  /** Spans not offered to this exporter on purpose (the store's sample under load). */
  readonly skipped: number;
  readonly failedExports: number;
  readonly queueLength: number;
}

/** An exporter of prepared items (BoundedProcessorOptions.prepare) rather than spans. */
export interface ItemExporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

export interface BoundedProcessor extends SpanProcessor {
  stats(): ExportStats;
}

export const PROCESSOR_DEFAULTS = {
  maxQueueSize: 4096, // ~4 MB of spans at most, a few seconds of full load on one core
  maxBatchSize: 512, // keeps one Zipkin POST well under 1 MB
  scheduledDelayMs: 500, // spans show up in a viewer within a second
  exportTimeoutMs: 10_000, // a hanging collector holds one batch for at most 10 s
} as const;

export function createBoundedProcessor(exporter: SpanExporter, options: BoundedProcessorOptions): BoundedProcessor;
export function createBoundedProcessor<T>(
  exporter: ItemExporter<T>,
  options: BoundedProcessorOptions & { readonly prepare: (span: ReadableSpan) => T },
): BoundedProcessor;
export function createBoundedProcessor(
  exporter: ItemExporter<unknown>,
  options: BoundedProcessorOptions & { readonly prepare?: (span: ReadableSpan) => unknown },
): BoundedProcessor {
  const maxQueueSize = options.maxQueueSize ?? PROCESSOR_DEFAULTS.maxQueueSize;
  const maxBatchSize = options.maxBatchSize ?? PROCESSOR_DEFAULTS.maxBatchSize;
  const scheduledDelayMs = options.scheduledDelayMs ?? PROCESSOR_DEFAULTS.scheduledDelayMs;
  const exportTimeoutMs = options.exportTimeoutMs ?? PROCESSOR_DEFAULTS.exportTimeoutMs;
  const admission = options.admission;
  const prepare = options.prepare;

  let queue: unknown[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let isShutdown = false;
  let exported = 0;
  let dropped = 0;
  let failedExports = 0;

  function schedule(): void {
    if (inFlight !== undefined || queue.length === 0) return;
    if (queue.length >= maxBatchSize) {
      void exportBatch();
      return;
    }
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void exportBatch();
    }, scheduledDelayMs);
    timer.unref();
  }

  function exportBatch(): Promise<void> {
    if (inFlight !== undefined) return inFlight;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queue.length === 0) return Promise.resolve();
    const batch = queue.length <= maxBatchSize ? queue : queue.slice(0, maxBatchSize);
    queue = batch === queue ? [] : queue.slice(maxBatchSize);
    inFlight = send(batch).then(() => {
      inFlight = undefined;
      schedule();
    });
    return inFlight;
  }

  function send(batch: unknown[]): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (result.code === ExportResultCode.SUCCESS) {
          exported += batch.length;
        } else {
          failedExports += 1;
          dropped += batch.length;
          options.onExportError?.(options.name, result.error ?? new Error('export failed'));
        }
        resolve();
      };
      const deadline = setTimeout(
        () => finish({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${exportTimeoutMs} ms`) }),
        exportTimeoutMs,
      );
      deadline.unref();
      try {
        exporter.export(batch, finish);
      } catch (error) {
        finish({ code: ExportResultCode.FAILED, error: error as Error });
      }
    });
  }

  async function flushAll(): Promise<void> {
    while (inFlight !== undefined || queue.length > 0) await exportBatch();
  }

  return {
    onStart(_span: Span, _parentContext: Context): void {},
    onEnd(span: ReadableSpan): void {
      if (admission !== undefined && !admission.admits(span)) return;
      if (isShutdown || queue.length >= maxQueueSize) {
        dropped += 1;
        return;
      }
      queue.push(prepare === undefined ? span : prepare(span));
      schedule();
    },
    forceFlush: flushAll,
    async shutdown(): Promise<void> {
      if (isShutdown) return;
      await flushAll();
      isShutdown = true;
      await exporter.shutdown();
    },
    stats: () => ({ name: options.name, exported, dropped, skipped: admission?.skipped ?? 0, failedExports, queueLength: queue.length }),
  };
}
