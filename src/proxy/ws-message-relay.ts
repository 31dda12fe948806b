/**
 * An open, relayed WebSocket session: two `ws` connections, every message read from one sent to the other
 * with its type (text or binary), pings and pongs passed along, each message counted.
 *
 * Backpressure: when the receiving side has more than HIGH_WATER_MARK bytes queued, the sending side is no
 * longer read (ws `pause()`, which stops reading its TCP socket, so the peer's own send buffer fills) until
 * the message that crossed the mark has been written out. Memory per session stays under the mark plus one
 * message per direction.
 *
 * Closing: a close frame from one side is passed on with its code and reason; a side that vanished without
 * one (1006) has the other side's connection cut as well, so each peer sees what it would without the proxy.
 * The session ends once both connections have closed.
 */
import { WebSocket } from 'ws';
import { IDLE_CLOSE_CODE, IDLE_CLOSE_REASON, sessionError, type WsSessionSummary, type WsSide } from './ws-session.js';

export const HIGH_WATER_MARK = 1024 * 1024; // 1 MiB queued towards a slow side

interface Direction {
  messages: number;
  bytes: number;
  pauses: number;
  maxQueued: number;
}

export class MessageRelay {
  private readonly fromClient: Direction = { messages: 0, bytes: 0, pauses: 0, maxQueued: 0 };
  private readonly fromUpstream: Direction = { messages: 0, bytes: 0, pauses: 0, maxQueued: 0 };
  private lastActivity = performance.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private closedBy: WsSide | undefined;
  private closeCode: number | undefined;
  private closeReason = '';
  private open = 2;
  private readonly errors: { client?: Error; upstream?: Error } = {};

  constructor(
    private readonly client: WebSocket,
    private readonly upstream: WebSocket,
    private readonly idleTimeoutMs: number,
    private readonly onEnd: (summary: WsSessionSummary) => void,
  ) {
    this.pump(client, upstream, this.fromClient);
    this.pump(upstream, client, this.fromUpstream);
    this.watch(client, 'client', upstream);
    this.watch(upstream, 'upstream', client);
    if (idleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.checkIdle(), idleTimeoutMs);
  }

  /** Closes both sides with a close frame (shutdown, idle timeout). */
  close(code: number, reason: string): void {
    this.noteClose('proxy', code, reason);
    closeGently(this.client, code, reason);
    closeGently(this.upstream, code, reason);
  }

  terminate(): void {
    this.noteClose('proxy', 1006, '');
    this.client.terminate();
    this.upstream.terminate();
  }

  private pump(from: WebSocket, to: WebSocket, counts: Direction): void {
    let paused = false;
    const resume = (): void => {
      paused = false;
      from.resume();
    };
    from.on('message', (data, isBinary) => {
      const payload = data as Buffer; // binaryType 'nodebuffer': always one Buffer
      counts.messages += 1;
      counts.bytes += payload.length;
      this.lastActivity = performance.now();
      if (to.readyState !== WebSocket.OPEN) return; // the other side is closing: nothing left to deliver to
      const queued = to.bufferedAmount + payload.length;
      if (queued > counts.maxQueued) counts.maxQueued = queued;
      if (!paused && queued > HIGH_WATER_MARK) {
        paused = true;
        counts.pauses += 1;
        from.pause();
        to.send(payload, { binary: isBinary }, resume);
      } else {
        to.send(payload, { binary: isBinary });
      }
    });
    from.on('ping', (data) => {
      this.lastActivity = performance.now();
      if (to.readyState === WebSocket.OPEN) to.ping(data);
    });
    from.on('pong', (data) => {
      this.lastActivity = performance.now();
      if (to.readyState === WebSocket.OPEN) to.pong(data);
    });
  }

  private watch(side: WebSocket, name: 'client' | 'upstream', other: WebSocket): void {
    side.on('error', (error) => {
      this.errors[name] ??= error;
    });
    side.on('close', (code, reason) => {
      this.noteClose(name, code, reason.toString());
      if (code === 1006) other.terminate();
      else closeGently(other, code === 1005 ? undefined : code, reason);
      this.open -= 1;
      if (this.open === 0) this.finish();
    });
  }

  private noteClose(side: WsSide, code: number, reason: string): void {
    if (this.closedBy !== undefined) return;
    this.closedBy = side;
    this.closeCode = code;
    this.closeReason = reason;
  }

  private checkIdle(): void {
    const quiet = performance.now() - this.lastActivity;
    if (quiet >= this.idleTimeoutMs) {
      this.idleTimer = undefined;
      this.close(IDLE_CLOSE_CODE, IDLE_CLOSE_REASON);
    } else {
      this.idleTimer = setTimeout(() => this.checkIdle(), this.idleTimeoutMs - quiet);
    }
  }

  private finish(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    const closedBy = this.closedBy ?? 'proxy';
    const cause = closedBy === 'proxy' ? undefined : this.errors[closedBy];
    this.onEnd({
      framesSeen: true,
      messagesFromClient: this.fromClient.messages,
      bytesFromClient: this.fromClient.bytes,
      messagesFromUpstream: this.fromUpstream.messages,
      bytesFromUpstream: this.fromUpstream.bytes,
      pausesFromClient: this.fromClient.pauses,
      pausesFromUpstream: this.fromUpstream.pauses,
      maxQueuedFromClient: this.fromClient.maxQueued,
      maxQueuedFromUpstream: this.fromUpstream.maxQueued,
      closeCode: this.closeCode,
      closeReason: this.closeReason,
      closedBy,
      error: sessionError(closedBy, this.closeCode, cause),
    });
  }
}

/** A close frame to `ws` unless it is closing already; no code means "no status" (1005). */
function closeGently(ws: WebSocket, code: number | undefined, reason?: string | Buffer): void {
  if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
  if (code === undefined) ws.close();
  else ws.close(code, reason);
}
