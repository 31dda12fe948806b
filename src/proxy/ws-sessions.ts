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
  /**
   * Resolves once no session is open (at once when none is). A session leaves after its hop has ended its
   * session span, so a shutdown that waits for this flushes every session's span.
   */
  idle(): Promise<void>;
}

export function createWsSessions(): WsSessions {
  const open = new Set<Tunnel>();
  let draining = false;
  let waiting: Array<() => void> = [];
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
      if (open.size === 0 && waiting.length > 0) {
        const resolvers = waiting;
        waiting = [];
        for (const resolve of resolvers) resolve();
      }
    },
    idle() {
      return open.size === 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve));
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
