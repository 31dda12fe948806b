/** Several HopListeners seen by the proxy as one (metrics, the access log, an embedder's own). */
import { NO_LISTENER, type HopListener, type HopRecord } from './hop-record.js';

export function composeListeners(candidates: ReadonlyArray<HopListener | undefined>): HopListener {
  const listeners = candidates.filter((listener): listener is HopListener => listener !== undefined && listener !== NO_LISTENER);
  if (listeners.length === 0) return NO_LISTENER;
  if (listeners.length === 1) return listeners[0]!;
  return {
    onHopStart() {
      for (const listener of listeners) listener.onHopStart();
    },
    onHopEnd(record: HopRecord) {
      for (const listener of listeners) listener.onHopEnd(record);
    },
  };
}
