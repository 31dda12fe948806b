/**
 * The demo's sample services: plain Node HTTP servers that know nothing about tracing, as a legacy service
 * would. Each listens on 127.0.0.1 port 0 and calls its peers at addresses filled in once the peers'
 * hoptraces are up (`peers`), the way a service reads its peers' addresses from its environment.
 *
 *   shop       GET /shop/checkout?sku=  → POST orders /orders (forwards the trace headers)
 *              GET /shop/browse?sku=    → GET inventory /stock/:sku (does NOT forward them: its trace breaks)
 *   orders     POST /orders             → GET inventory /stock/:sku (forwards the trace headers)
 *   inventory  GET /stock/:sku          fails now and then (503), and takes a few milliseconds
 *   feed       GET /feed, and a WebSocket at /feed/live that sends a price tick every 250 ms
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { traceHeaders } from './trace-headers.js';

export interface SampleApp {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Where an app's outgoing calls go: the address of the next host's hoptrace, set before traffic starts. */
export interface Peers {
  orders: string;
  inventory: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** How often the inventory fails, so that the viewer has some errors to show. */
export const INVENTORY_FAILURE_RATE = 0.15;
const FEED_TICK_MS = 250;

export function startShop(peers: Peers): Promise<SampleApp> {
  return startApp('shop', async (req, res, url) => {
    const sku = url.searchParams.get('sku') ?? 'tea';
    if (url.pathname === '/shop/ping') return reply(res, 200, { ok: true });
    if (url.pathname === '/shop/checkout') {
      // Forwards the incoming trace headers: orders and inventory join this request's trace.
      const order = await call(`${peers.orders}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...traceHeaders(req) },
        body: JSON.stringify({ sku, quantity: 1 }),
      });
      return reply(res, order.status === 201 ? 200 : 502, { checkout: order.status === 201 ? 'done' : 'failed', order: order.body });
    }
    if (url.pathname === '/shop/browse') {
      // Deliberately no trace headers: the inventory's hoptrace starts a new trace for this call.
      const stock = await call(`${peers.inventory}/stock/${encodeURIComponent(sku)}`, { method: 'GET' });
      return reply(res, stock.status === 200 ? 200 : 502, { sku, stock: stock.body });
    }
    return reply(res, 404, { error: 'not found' });
  });
}

export function startOrders(peers: Peers): Promise<SampleApp> {
  let nextOrder = 1;
  return startApp('orders', async (req, res, url) => {
    if (req.method !== 'POST' || url.pathname !== '/orders') return reply(res, 404, { error: 'not found' });
    const { sku } = JSON.parse((await readBody(req)) || '{}') as { sku?: string };
    const stock = await call(`${peers.inventory}/stock/${encodeURIComponent(sku ?? 'tea')}`, {
      method: 'GET',
      headers: traceHeaders(req),
    });
    if (stock.status !== 200) return reply(res, 503, { error: 'inventory unavailable' });
    return reply(res, 201, { order: nextOrder++, sku });
  });
}

export function startInventory(): Promise<SampleApp> {
  return startApp('inventory', async (_req, res, url) => {
    const match = /^\/stock\/([^/]+)$/.exec(url.pathname);
    if (match === null) return reply(res, 404, { error: 'not found' });
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 20));
    if (Math.random() < INVENTORY_FAILURE_RATE) return reply(res, 503, { error: 'stock database busy' });
    return reply(res, 200, { sku: decodeURIComponent(match[1]!), available: Math.floor(Math.random() * 50) });
  });
}

export async function startFeed(): Promise<SampleApp> {
  const app = await startApp('feed', (_req, res, url) =>
    url.pathname === '/feed' ? reply(res, 200, { live: '/feed/live' }) : reply(res, 404, { error: 'not found' }),
  );
  const wss = new WebSocketServer({ server: app.server, path: '/feed/live' });
  wss.on('connection', (socket) => {
    let price = 100;
    const timer = setInterval(() => {
      price = Math.max(1, price + (Math.random() - 0.5) * 4);
      socket.send(JSON.stringify({ symbol: 'TEA', price: Number(price.toFixed(2)), at: Date.now() }));
    }, FEED_TICK_MS);
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => socket.terminate());
  });
  return {
    name: app.name,
    url: app.url,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await app.close();
    },
  };
}

async function startApp(name: string, handler: Handler): Promise<SampleApp & { server: http.Server }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch(() => {
        if (!res.headersSent) reply(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function call(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    return { status: res.status, body: parseJson(text) };
  } catch {
    return { status: 502, body: { error: 'unreachable' } };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
