/**
 * `npm run demo`: hoptrace in front of sample services that know nothing about tracing, run the way it runs
 * in production: one hoptrace per host in front of that host's service, and a gateway hoptrace at the edge.
 *
 *   traffic ─► gateway ─► shop hoptrace ─► shop app ─► orders hoptrace ─► orders app ─► inventory hoptrace ─► inventory app
 *                 └─────► feed hoptrace ─► feed app (WebSocket)
 *
 * An app's outgoing calls go to the next host's hoptrace, as they would to a sidecar. Every hoptrace is the
 * real CLI in a child process with a generated config; all of them send their spans to the gateway's admin
 * port (`POST /api/v2/spans`), so the gateway's viewer shows whole traces. Ctrl-C stops the traffic, then
 * the per-host hoptraces (which flush their spans to the gateway), then the gateway, then the apps; exit 0.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFeed, startInventory, startOrders, startShop, type Peers, type SampleApp } from './apps.js';
import { startHoptrace, tail, type HoptraceProcess } from './hoptrace-process.js';
import { startTraffic, type Traffic } from './traffic.js';

const STATUS_EVERY_MS = 10_000;
const GATEWAY_RELOAD_TIMEOUT_MS = 10_000;

/** A host: a sample app, the path prefix it serves, and the hoptrace in front of it. */
interface HostPlan {
  readonly name: 'shop' | 'orders' | 'inventory' | 'feed';
  readonly pathPrefix: string;
  readonly note: string;
  readonly start: (peers: Peers) => Promise<SampleApp>;
}

const HOSTS: readonly HostPlan[] = [
  { name: 'shop', pathPrefix: '/shop', note: 'forwards trace headers on /shop/checkout, not on /shop/browse', start: startShop },
  { name: 'orders', pathPrefix: '/orders', note: 'forwards trace headers', start: startOrders },
  { name: 'inventory', pathPrefix: '/stock', note: 'fails now and then (503)', start: () => startInventory() },
  { name: 'feed', pathPrefix: '/feed', note: 'WebSocket price feed at /feed/live', start: () => startFeed() },
];

const apps: SampleApp[] = [];
const hoptraces: HoptraceProcess[] = [];
let traffic: Traffic | undefined;
let statusTimer: NodeJS.Timeout | undefined;
let stopping: Promise<void> | undefined;

/**
 * A per-host hoptrace: everything under the app's prefix goes to the app; spans go to the gateway. The
 * app behind it is named `<host>-app` (its CLIENT spans' peer.service), so a call that goes no further
 * shows in the service map as `inventory → inventory-app` rather than as an address.
 */
function hostConfig(plan: HostPlan, app: SampleApp, gatewayAdmin: string, dir: string): unknown {
  return {
    listen: '127.0.0.1:0',
    admin: '127.0.0.1:0',
    drainTimeoutMs: 2_000,
    accessLog: { destination: join(dir, `${plan.name}-access.log`) },
    tracing: {
      serviceName: plan.name,
      exporters: [{ type: 'zipkin', endpoint: `http://${gatewayAdmin}/api/v2/spans` }],
    },
    routes: [{ name: plan.name, peerService: `${plan.name}-app`, match: { pathPrefix: plan.pathPrefix }, upstream: app.url, timeoutMs: 5_000 }],
  };
}

/** The gateway: the edge, in front of the shop and the feed. Its own spans stay in its built-in store. */
function gatewayConfig(dir: string, shop?: HoptraceProcess, feed?: HoptraceProcess): unknown {
  const routes =
    shop === undefined || feed === undefined
      ? []
      : [
          { name: 'shop', peerService: 'shop', match: { pathPrefix: '/shop' }, upstream: `http://${shop.proxy}`, timeoutMs: 10_000 },
          { name: 'feed', peerService: 'feed', match: { pathPrefix: '/feed' }, upstream: `http://${feed.proxy}` },
        ];
  return {
    listen: '127.0.0.1:0',
    admin: '127.0.0.1:0',
    drainTimeoutMs: 2_000,
    accessLog: { destination: join(dir, 'gateway-access.log') },
    tracing: { serviceName: 'gateway' },
    routes,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-demo-'));
  const env = { ...process.env, HOPTRACE_LOG_LEVEL: process.env.HOPTRACE_LOG_LEVEL ?? 'info' };
  const peers: Peers = { orders: '', inventory: '' };

  // The gateway starts first, with no routes, because every other hoptrace needs its admin address; once
  // they are up it gets its routes by a reload (SIGHUP), as a running proxy would.
  const gateway = await startHoptrace('gateway', gatewayConfig(dir), dir, env);
  track(gateway);
  const started = await Promise.all(
    HOSTS.map(async (plan) => {
      const app = await plan.start(peers);
      apps.push(app);
      const hoptrace = await startHoptrace(plan.name, hostConfig(plan, app, gateway.admin, dir), dir, env);
      track(hoptrace);
      return { plan, app, hoptrace };
    }),
  );
  const host = (name: HostPlan['name']): HoptraceProcess => started.find((entry) => entry.plan.name === name)!.hoptrace;
  peers.orders = `http://${host('orders').proxy}`;
  peers.inventory = `http://${host('inventory').proxy}`;
  gateway.reload(gatewayConfig(dir, host('shop'), host('feed')));
  await waitForRoute(`http://${gateway.proxy}/shop/ping`);
  if (stopping !== undefined) return;

  traffic = startTraffic(gateway.proxy);

  const rows = [
    ['gateway', gateway.proxy, '', 'the edge: send requests here'],
    ...started.map(({ plan, app, hoptrace }) => [plan.name, hoptrace.proxy, `→ ${app.url.replace('http://', '')}`, plan.note]),
  ];
  const lines = [
    'hoptrace demo: plain services that know nothing about tracing, each with a hoptrace in front of it.',
    '',
    `  ${'host'.padEnd(10)} ${'hoptrace'.padEnd(16)} ${'app'.padEnd(18)}`,
    ...rows.map(([name, proxy, app, note]) => `  ${name!.padEnd(10)} ${proxy!.padEnd(16)} ${app!.padEnd(18)} ${note}`),
    '',
    'Traffic goes to the gateway: GET /shop/checkout (gateway → shop → orders → inventory, one trace),',
    'GET /shop/browse (the shop does not forward the trace headers, so its inventory call is a trace of its own),',
    'and WebSocket sessions on /feed/live. Try one yourself:',
    `  curl -i 'http://${gateway.proxy}/shop/checkout?sku=tea'`,
    `Configs, logs (<host>.log), access logs (<host>-access.log, with each request's trace_id) and process ids: ${dir}`,
    '',
    `viewer: http://${gateway.admin}/`,
    '',
    'Press Ctrl-C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  statusTimer = setInterval(printStatus, STATUS_EVERY_MS);
}

function printStatus(): void {
  if (traffic === undefined) return;
  const s = traffic.stats;
  const feed =
    s.feedSessions === 0 && s.feedErrors > 0
      ? 'the WebSocket feed could not be reached through the gateway (see gateway.log and feed.log)'
      : `${s.feedSessions} feed session(s), ${s.feedMessages} message(s)`;
  process.stdout.write(`traffic: ${s.requests} requests (${s.ok} ok, ${s.failed} failed), ${feed}\n`);
}

/** A hoptrace that dies on its own ends the demo, with its log. */
function track(hoptrace: HoptraceProcess): void {
  hoptraces.push(hoptrace);
  void hoptrace.exited.then((code) => {
    if (stopping !== undefined) return;
    process.stderr.write(`\nthe ${hoptrace.name} hoptrace exited (${code}); the end of ${hoptrace.logPath}:\n${tail(hoptrace.logPath)}\n`);
    void shutdown(1);
  });
}

async function waitForRoute(url: string): Promise<void> {
  const deadline = Date.now() + GATEWAY_RELOAD_TIMEOUT_MS;
  while (stopping === undefined) {
    const status = await fetch(url).then(
      async (res) => {
        await res.arrayBuffer();
        return res.status;
      },
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the gateway did not take its routes within ${GATEWAY_RELOAD_TIMEOUT_MS / 1000} s (last status ${status})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    clearInterval(statusTimer);
    await traffic?.stop();
    if (traffic !== undefined) printStatus();
    // Per-host hoptraces first: they flush their last spans to the gateway, which is still up to take them.
    const gateway = hoptraces.find((h) => h.name === 'gateway');
    const results = await Promise.all(hoptraces.filter((h) => h !== gateway).map((h) => h.stop()));
    if (gateway !== undefined) results.push(await gateway.stop());
    await Promise.all(apps.map((app) => app.close()));
    const clean = results.every((result) => result === 0);
    if (!clean) process.stderr.write(`a hoptrace did not stop cleanly (exit ${results.join(', ')}); see its log\n`);
    process.stdout.write('stopped\n');
    process.exit(clean ? code : 1);
  })();
  return stopping;
}

// A terminal's Ctrl-C may arrive twice (npm passes it on as well); the first one starts the shutdown.
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Whatever happens, no hoptrace outlives the demo.
process.on('exit', () => {
  for (const hoptrace of hoptraces) if (hoptrace.child.exitCode === null && hoptrace.child.signalCode === null) hoptrace.child.kill('SIGKILL');
});

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  void shutdown(1);
});
