/**
 * The open WebSocket sessions of one proxy server: their count (for metrics) and the handle shutdown needs.
 * Node's server.close() waits for upgraded sockets but closeAllConnections() does not reach them, so a
 * draining proxy has to end sessions itself: relayed sessions get a 1001 "going away" close frame at once
 * (clients reconnect elsewhere), and whatever is still open at the drain deadline is cut.
 */
import type { Tunnel } from './ws-session.js';

export const DRAIN_CLOSE_CODE = 1001;
export const DRAIN_CLOSE_REASON = 'going away';

export interface WsSessions {
  /** Sessions open right now. */
  readonly size: number;
  /** True once draining began: new upgrades are refused, sessions that open anyway are closed at once. */
  readonly draining: boolean;
  add(session: Tunnel): void;
  delete(session: Tunnel): void;
  drain(): void;
  terminateAll(): void;
}

export function createWsSessions(): WsSessions {
  const open = new Set<Tunnel>();
  let draining = false;
  return {
    get size() {
      return open.size;
    },
    get draining() {
      return draining;
    },
    add(session) {
      open.add(session);
      if (draining) session.close(DRAIN_CLOSE_CODE, DRAIN_CLOSE_REASON);
    },
    delete(session) {
      open.delete(session);
    },
    drain() {
      draining = true;
      for (const session of open) session.close(DRAIN_CLOSE_CODE, DRAIN_CLOSE_REASON);
    },
    terminateAll() {
      for (const session of [...open]) session.terminate();
    },
  };
}
