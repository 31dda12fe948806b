/**
 * What a cluster primary and its workers say to each other over the IPC channel. Every message has a
 * `hoptrace:` type, so messages of other libraries on the same channel are left alone.
 */
import type { EncodedZipkinSpan } from '../export/zipkin-model.js';
import type { MetricsJson } from '../metrics/registry.js';

export type WorkerMessage =
  /** The worker's proxy listener is open (all workers share it). */
  | { readonly type: 'hoptrace:listening'; readonly proxy: string }
  /** Spans for the built-in store, which lives in the primary. */
  | { readonly type: 'hoptrace:spans'; readonly spans: EncodedZipkinSpan[] }
  | { readonly type: 'hoptrace:metrics'; readonly id: number; readonly metrics: MetricsJson };

export type PrimaryMessage =
  | { readonly type: 'hoptrace:stop' }
  | { readonly type: 'hoptrace:reload' }
  | { readonly type: 'hoptrace:metrics'; readonly id: number };

export function isHoptraceMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && String((message as { type?: unknown }).type).startsWith('hoptrace:');
}
