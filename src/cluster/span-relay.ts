/**
 * A cluster worker's exporter for the built-in store: the store lives in the primary, so the worker sends
 * each batch there over the IPC channel as Zipkin JSON (what the store keeps of the proxy's own spans, and
 * a string is cheaper to send than an object), tagged with the worker that recorded them (`hoptrace.worker`,
 * the cluster worker id) so the viewer can tell the workers apart. It runs behind a bounded processor like
 * any exporter: one batch in flight at a time, and the batch is done when the channel has taken it, so a
 * busy primary costs dropped spans, not memory.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { StoreExporter } from '../export/span-store.js';
import { encodeZipkinSpan } from '../export/zipkin-model.js';
import type { WorkerMessage } from './messages.js';

export const ATTR_HOPTRACE_WORKER = 'hoptrace.worker';

export function createSpanRelay(worker: string, send: (message: WorkerMessage, done: (error: Error | null) => void) => boolean): StoreExporter {
  const workerTag = { [ATTR_HOPTRACE_WORKER]: worker };
  return {
    encode: (span) => encodeZipkinSpan(span, workerTag),
    export(spans, done) {
      const message: WorkerMessage = { type: 'hoptrace:spans', spans };
      try {
        send(message, (error) => done(error === null ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error }));
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error as Error });
      }
    },
    async shutdown(): Promise<void> {},
  };
}
