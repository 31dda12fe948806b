/**
 * `npm run demo` end to end: the compiled demo (dist/tools/demo/run.js, what the npm script runs) starts
 * its sample services and real hoptrace processes, sends traffic, prints its viewer line, and stops with
 * exit 0 on SIGINT leaving no hoptrace behind. The spans it produces must show a checkout as one trace
 * across gateway, shop, orders and inventory, and the browse call (whose app does not forward the trace
 * headers) as a trace that breaks at the shop.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ZipkinSpan } from '../../src/export/zipkin-model.js';
import { waitFor } from '../helpers/wait.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = join(ROOT, 'dist/tools/demo/run.js');

/** A checkout as one trace: each span as `KIND service name` (name in lower case), with its parent's. */
const CHECKOUT_TREE = [
  'SERVER gateway get /shop <- (root)',
  'CLIENT gateway get /shop <- SERVER gateway get /shop',
  'SERVER shop get /shop <- CLIENT gateway get /shop',
  'CLIENT shop get /shop <- SERVER shop get /shop',
  'SERVER orders post /orders <- CLIENT shop get /shop',
  'CLIENT orders post /orders <- SERVER orders post /orders',
  'SERVER inventory get /stock <- CLIENT orders post /orders',
  'CLIENT inventory get /stock <- SERVER inventory get /stock',
];

/** A browse: the shop calls the inventory without the trace headers, so the trace ends at the shop... */
const BROWSE_TREE = CHECKOUT_TREE.slice(0, 4);
/** ...and the inventory's hoptrace starts a trace of its own. */
const ORPHAN_INVENTORY_TREE = ['SERVER inventory get /stock <- (root)', 'CLIENT inventory get /stock <- SERVER inventory get /stock'];

interface Demo {
  stdout: () => string;
  exited: Promise<number | string>;
  viewer: string;
  gateway: string;
  dir: string;
  interrupt(): void;
}

async function startDemo(env: NodeJS.ProcessEnv = {}): Promise<Demo> {
  const child = spawn(process.execPath, [DEMO], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  let dir: string | undefined;
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    // The hoptraces run in process groups of their own; whatever the demo left behind goes here.
    for (const pid of dir === undefined ? [] : demoPids(dir)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    // The demo keeps its folder of configs and logs for the user to read; a test run does not need it.
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const viewer = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the demo exited early (${child.exitCode}): ${err}`);
      return /^viewer: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out)?.[1];
    },
    20_000,
    'the viewer line',
  );
  dir = /^Configs, logs .* and process ids: (\S+)$/m.exec(out)![1]!;
  const gateway = /^ {2}gateway +(127\.0\.0\.1:\d+) /m.exec(out)![1]!;
  return { stdout: () => out, exited, viewer, gateway, dir, interrupt: () => child.kill('SIGINT') };
}

function demoPids(dir: string): number[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.pid'))
    .map((name) => Number(readFileSync(join(dir, name), 'utf8')));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The span tree of one trace, as sorted `KIND service name <- parent` lines. */
function tree(spans: readonly ZipkinSpan[]): string[] {
  // Zipkin's query API gives span names in lower case, as Zipkin itself does; the exporters send them as they are.
  const label = (span: ZipkinSpan): string => `${span.kind} ${span.localEndpoint?.serviceName} ${span.name?.toLowerCase()}`;
  const byId = new Map(spans.map((span) => [span.id, span]));
  return spans
    .map((span) => {
      const parent = span.parentId === undefined ? undefined : byId.get(span.parentId);
      return `${label(span)} <- ${span.parentId === undefined ? '(root)' : parent === undefined ? `missing ${span.parentId}` : label(parent)}`;
    })
    .sort((a, b) => CHECKOUT_TREE.indexOf(a) - CHECKOUT_TREE.indexOf(b) || a.localeCompare(b));
}

function byTrace(spans: readonly ZipkinSpan[]): Map<string, ZipkinSpan[]> {
  const traces = new Map<string, ZipkinSpan[]>();
  for (const span of spans) traces.set(span.traceId, [...(traces.get(span.traceId) ?? []), span]);
  return traces;
}

/** Traces whose gateway SERVER span served `pathPrefix`, largest first. */
function tracesFor(traces: Iterable<ZipkinSpan[]>, pathPrefix: string): ZipkinSpan[][] {
  return [...traces]
    .filter((spans) => spans.some((s) => s.kind === 'SERVER' && s.localEndpoint?.serviceName === 'gateway' && s.tags?.['url.path']?.startsWith(pathPrefix)))
    .sort((a, b) => b.length - a.length);
}

/** Waits until `ready` holds for the spans seen so far; then the caller asserts on the best candidates. */
async function settle<T>(read: () => Promise<T>, ready: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ready(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

async function stopCleanly(demo: Demo): Promise<void> {
  demo.interrupt();
  expect(await demo.exited).toBe(0);
  expect(demo.stdout()).toMatch(/\nstopped\n$/);
  expect(demoPids(demo.dir).filter(isAlive)).toEqual([]);
}

describe('npm run demo', () => {
  it('shows a checkout as one trace across gateway, shop, orders and inventory in the viewer, and stops cleanly on SIGINT', async () => {
    const demo = await startDemo();
    const api = new URL('api/v2/', demo.viewer);
    const readTraces = async (): Promise<ZipkinSpan[][]> => {
      const res = await fetch(new URL('traces?serviceName=gateway&limit=200', api));
      expect(res.status).toBe(200);
      return (await res.json()) as ZipkinSpan[][];
    };
    const traces = await settle(readTraces, (all) => tracesFor(all, '/shop/checkout')[0]?.length === CHECKOUT_TREE.length);
    const services = (await (await fetch(new URL('services', api))).json()) as string[];
    expect(services).toEqual(expect.arrayContaining(['gateway', 'shop', 'orders', 'inventory']));

    const checkout = tracesFor(traces, '/shop/checkout')[0]!;
    // The same trace, read by id, as a user quoting a traceresponse would.
    const res = await fetch(new URL(`trace/${checkout[0]!.traceId}`, api));
    expect(res.status).toBe(200);
    const byId = (await res.json()) as ZipkinSpan[];
    expect(tree(byId)).toEqual(CHECKOUT_TREE);
    expect(new Set(byId.map((span) => span.traceId)).size).toBe(1);
    expect(byId.find((s) => s.kind === 'CLIENT' && s.localEndpoint?.serviceName === 'gateway')?.remoteEndpoint?.serviceName).toBe('shop');

    await stopCleanly(demo);
  });

  it('sends every span to the Zipkin named by OTEL_EXPORTER_ZIPKIN_ENDPOINT, where a browse shows the trace breaking at the shop', async () => {
    const zipkin = await startZipkinReceiver();
    const demo = await startDemo({ OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.endpoint });
    const hasAll = (traces: Map<string, ZipkinSpan[]>): boolean =>
      tracesFor(traces.values(), '/shop/checkout')[0]?.length === CHECKOUT_TREE.length &&
      // Each hoptrace exports on its own schedule: a browse trace may hold the gateway's spans before the shop's.
      tracesFor(traces.values(), '/shop/browse').some((spans) => spans.length === BROWSE_TREE.length) &&
      [...traces.values()].some((spans) => spans.length === 2 && spans.every((s) => s.localEndpoint?.serviceName === 'inventory'));
    const traces = await settle(async () => byTrace(zipkin.spans), hasAll);

    expect(tree(tracesFor(traces.values(), '/shop/checkout')[0]!)).toEqual(CHECKOUT_TREE);
    expect(tree(tracesFor(traces.values(), '/shop/browse').find((spans) => spans.length === BROWSE_TREE.length)!)).toEqual(BROWSE_TREE);
    const orphans = [...traces.values()]
      .filter((spans) => spans.every((s) => s.localEndpoint?.serviceName === 'inventory'))
      .sort((a, b) => b.length - a.length);
    expect(orphans.length).toBeGreaterThan(0);
    expect(tree(orphans[0]!)).toEqual(ORPHAN_INVENTORY_TREE);

    // The gateway answers with a traceresponse naming the trace, so a user can look a request up.
    const checkout = await fetch(`http://${demo.gateway}/shop/checkout?sku=tea`);
    await checkout.arrayBuffer();
    expect(checkout.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/);

    await stopCleanly(demo);
    // The price feed's WebSocket sessions (3 s each, the last one closed by the stop) are traced too: a
    // session span at the gateway and at the feed's own hoptrace, with the ticks the feed sent counted.
    const sessions = zipkin.spans.filter((span) => span.name === 'websocket /feed');
    expect(new Set(sessions.map((span) => span.localEndpoint?.serviceName))).toEqual(new Set(['gateway', 'feed']));
    expect(sessions.some((span) => Number(span.tags?.['hoptrace.websocket.upstream_to_client.messages']) > 0)).toBe(true);
  });
});
