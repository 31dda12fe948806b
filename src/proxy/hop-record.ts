/**
 * What one finished hop looks like to its observers (metrics, access log). The proxy produces one record
 * per request and knows nothing of who reads it.
 */
export interface HopRecord {
  readonly route: string | undefined;
  readonly service: string;
  readonly method: string;
  /** Path without query string (the query may carry secrets). */
  readonly path: string;
  /** Status the client got; 0 when the client left before an answer. */
  readonly status: number;
  readonly durationMs: number;
  /** Upstream time to the end of its response, when the upstream was reached. */
  readonly upstreamDurationMs: number | undefined;
  readonly upstream: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly errorType: string | undefined;
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

export interface HopListener {
  onHopStart(): void;
  onHopEnd(record: HopRecord): void;
}

export const NO_LISTENER: HopListener = { onHopStart() {}, onHopEnd() {} };
