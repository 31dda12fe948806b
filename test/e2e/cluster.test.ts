/**
 * `--workers N` through the real CLI: one listening line from the primary, requests served by every
 * worker, their spans in the primary's store (the admin API), /metrics summed over the workers, a worker
 * that dies replaced, and SIGTERM draining everything with exit 0.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeConfig } from '../helpers/cli.js';
import { startUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';
import type { ZipkinSpan } from '../../src/export/zipkin-model.js';

/** One request on a connection of its own, so the primary hands each to the next worker in turn. */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

describe('hoptrace --workers', () => {
  it('proxies through every worker, keeps their spans in the admin store, sums /metrics, exits 0 on SIGTERM', async () => {
    const upstream = await startUpstream();
    const path = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'all', upstream: upstream.url }] });
    const cli = await startCli(path, {}, ['--workers', '2']);
    expect(cli.stdout().match(/listening proxy=/g)).toHaveLength(1);

    for (let i = 0; i < 8; i += 1) expect(await get(`http://${cli.proxy}/item/${i}`)).toBe(200);
    expect(upstream.requests).toHaveLength(8);

    const spans = await waitFor(async () => {
      const traces = await json<ZipkinSpan[][]>(`http://${cli.admin}/api/v2/traces?serviceName=hoptrace&limit=100`);
      return traces.flat().length >= 16 ? traces.flat() : undefined;
    }, 10_000, '16 spans in the admin store');
    expect(spans).toHaveLength(16);
    expect(spans.filter((span) => span.kind === 'SERVER').map((span) => span.tags!['url.path']).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `/item/${i}`).sort(),
    );
    const workers = new Set(spans.map((span) => span.tags!['hoptrace.worker']));
    expect(workers.size).toBe(2);

    const metrics = await (await fetch(`http://${cli.admin}/metrics`)).text();
    expect(metrics).toMatch(/^hoptrace_http_requests_total\{route="all",[^}]*http_response_status_code="200"[^}]*\} 8$/m);

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('holds tracing.maxNewTracesPerSecond for the proxy as a whole: each worker takes its share', async () => {
    const perSecond = 4;
    const upstream = await startUpstream();
    const path = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', tracing: { maxNewTracesPerSecond: perSecond }, routes: [{ name: 'all', upstream: upstream.url }] });
    const cli = await startCli(path, {}, ['--workers', '2']);

    const startedAt = performance.now();
    for (let i = 0; i < 16; i += 1) expect(await get(`http://${cli.proxy}/burst/${i}`)).toBe(200);
    const elapsedSeconds = (performance.now() - startedAt) / 1_000;

    const sampled = upstream.requests.filter((request) => (parseInt(String(request.headers.traceparent).slice(-2), 16) & 1) === 1).length;
    // Two buckets of half the rate each, both full at the start; two full buckets would sample 2 × perSecond.
    expect(sampled).toBeGreaterThanOrEqual(perSecond / 2);
    expect(sampled).toBeLessThanOrEqual(perSecond + Math.ceil(elapsedSeconds * perSecond));
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('replaces a worker that dies, and --workers 0 is refused', async () => {
    const upstream = await startUpstream();
    const path = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'all', upstream: upstream.url }] });
    const cli = await startCli(path, {}, ['--workers', '2']);
    // The workers are the CLI's children; kill one of them the hard way.
    const children = await waitFor(() => {
      const list = childPids(cli.child.pid!);
      return list.length === 2 ? list : undefined;
    }, 10_000, 'two worker processes');
    process.kill(children[0]!, 'SIGKILL');
    await waitFor(() => {
      const list = childPids(cli.child.pid!);
      return list.length === 2 && !list.includes(children[0]!) ? list : undefined;
    }, 10_000, 'a replacement worker');
    for (let i = 0; i < 4; i += 1) expect(await get(`http://${cli.proxy}/after/${i}`)).toBe(200);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    const refused = runCli(['--config', path, '--workers', '0']);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toBe('hoptrace: --workers must be a whole number of at least 1, got "0"\n');
  });
});

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
