/**
 * The demo's stream of traffic, sent to the gateway hoptrace as clients on the internet would: a request
 * every REQUEST_INTERVAL_MS (three checkouts for each browse), and a WebSocket session on the price feed
 * that lasts a few seconds and is then reopened, so that finished sessions show up in the viewer.
 * Everything it does is bounded and stops on `stop()`.
 */
import WebSocket from 'ws';

export interface TrafficStats {
  requests: number;
  ok: number;
  failed: number;
  feedSessions: number;
  feedMessages: number;
  feedErrors: number;
}

export interface Traffic {
  readonly stats: TrafficStats;
  stop(): Promise<void>;
}

const REQUEST_INTERVAL_MS = 200;
const FEED_SESSION_MS = 3_000;
const FEED_RETRY_MS = 3_000;
const SKUS = ['tea', 'coffee', 'cocoa', 'mate'] as const;

export function startTraffic(gateway: string): Traffic {
  const stats: TrafficStats = { requests: 0, ok: 0, failed: 0, feedSessions: 0, feedMessages: 0, feedErrors: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let count = 0;
  let feed: WebSocket | undefined;
  let feedTimer: NodeJS.Timeout | undefined;

  const requestTimer = setInterval(() => {
    count += 1;
    const sku = SKUS[count % SKUS.length]!;
    const path = count % 4 === 0 ? `/shop/browse?sku=${sku}` : `/shop/checkout?sku=${sku}`;
    const request = send(`http://${gateway}${path}`).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }, REQUEST_INTERVAL_MS);

  async function send(url: string): Promise<void> {
    stats.requests += 1;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (res.ok) stats.ok += 1;
      else stats.failed += 1;
    } catch {
      stats.failed += 1;
    }
  }

  function openFeed(): void {
    if (stopped) return;
    const socket = new WebSocket(`ws://${gateway}/feed/live`);
    feed = socket;
    let opened = false;
    socket.on('open', () => {
      opened = true;
      stats.feedSessions += 1;
      feedTimer = setTimeout(() => socket.close(1000, 'session over'), FEED_SESSION_MS);
    });
    socket.on('message', () => (stats.feedMessages += 1));
    socket.on('error', () => {
      if (!opened) stats.feedErrors += 1;
    });
    socket.on('close', () => {
      clearTimeout(feedTimer);
      if (feed === socket) feed = undefined;
      if (!stopped) feedTimer = setTimeout(openFeed, opened ? 200 : FEED_RETRY_MS);
    });
  }
  openFeed();

  return {
    stats,
    async stop() {
      stopped = true;
      clearInterval(requestTimer);
      clearTimeout(feedTimer);
      if (feed !== undefined && feed.readyState === WebSocket.OPEN) {
        const closed = new Promise((resolve) => feed!.once('close', resolve));
        feed.close(1001, 'demo stopping');
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      }
      feed?.terminate();
      await Promise.allSettled([...inFlight]);
    },
  };
}
