/**
 * The client socket of an upgrade while the upstream handshake is pending. It is read, not left paused:
 * a paused socket would show a client that left (FIN or RST) only at the first write, so an abandoned
 * handshake would hold its upstream attempt until timeoutMs. What the client sends meanwhile is kept for
 * the session (RFC 6455 §4.1: nothing should come before the 101; past EARLY_DATA_LIMIT it is not read).
 */
import type { Socket } from 'node:net';

const EARLY_DATA_LIMIT = 64 * 1024;

export class ClientWatch {
  private readonly early: Buffer[] = [];
  private earlyBytes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly head: Buffer,
    private readonly onGone: () => void,
  ) {
    socket.once('close', onGone);
    socket.once('end', onGone);
    socket.on('data', this.onData);
  }

  /** Stops reading and returns what the client sent after its handshake; the socket is left paused. */
  takeHead(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onGone);
    this.socket.pause();
    return this.early.length === 0 ? this.head : Buffer.concat([this.head, ...this.early]);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.early.push(chunk);
    this.earlyBytes += chunk.length;
    if (this.earlyBytes > EARLY_DATA_LIMIT) this.socket.pause();
  };
}
