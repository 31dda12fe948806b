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

/**
 * One finished WebSocket session (from the handshake's 101 to the close). Its handshake is reported as a
 * HopRecord like any request, with status 101 or whatever the client got instead.
 */
export interface WsSessionRecord {
  readonly route: string;
  readonly service: string;
  readonly path: string;
  readonly upstream: string;
  readonly durationMs: number;
  /**
   * Whether the proxy saw the frames: true for relayed (sampled) sessions, whose messages, payload bytes and
   * close code are known; false for piped (unsampled) ones, where messages are 0, bytes are TCP bytes on the
   * client's connection and the close code is undefined.
   */
  readonly framesSeen: boolean;
  readonly messagesFromClient: number;
  readonly bytesFromClient: number;
  readonly messagesFromUpstream: number;
  readonly bytesFromUpstream: number;
  readonly closeCode: number | undefined;
  /**
   * The side that ended the session. For a piped session this is whose TCP connection ended first, which
   * after a clean close handshake is the server's (RFC 6455 §7.1.1), whoever sent the first close frame.
   */
  readonly closedBy: 'client' | 'upstream' | 'proxy';
  readonly errorType: string | undefined;
  readonly traceId: string;
  readonly sampled: boolean;
}

export interface HopListener {
  onHopStart(): void;
  onHopEnd(record: HopRecord): void;
  /** A WebSocket session opened (after its 101). */
  onSessionStart?(): void;
  onSessionEnd?(record: WsSessionRecord): void;
}

export const NO_LISTENER: HopListener = { onHopStart() {}, onHopEnd() {} };
