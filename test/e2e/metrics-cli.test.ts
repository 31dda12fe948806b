/**
 * /metrics of the real CLI: requests counted, and SIGHUP reloads counted by result, including a config
 * file that no longer validates (rejected before the app sees it).
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LABEL, METRIC } from '../../src/metrics/names.js';
import { startCli, writeConfig } from '../helpers/cli.js';
import { plainRequest } from '../helpers/plain-request.js';
import { parsePrometheus, type PromScrape } from '../helpers/prometheus-text.js';
import { startUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

async function scrape(admin: string): Promise<PromScrape> {
  return parsePrometheus((await plainRequest(`http://${admin}/metrics`)).body);
}

describe('metrics from the CLI', () => {
  it('counts requests, and reloads rejected and accepted on SIGHUP', async () => {
    const upstream = await startUpstream();
    const config = (route: string): Record<string, unknown> => ({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      accessLog: { enabled: false },
      routes: [{ name: route, upstream: upstream.url }],
    });
    const path = writeConfig(config('before'));
    const cli = await startCli(path);
    expect((await plainRequest(`http://${cli.proxy}/x`)).status).toBe(200);
    const requests = { [LABEL.route]: 'before', [LABEL.method]: 'GET', [LABEL.statusCode]: '200', [LABEL.statusClass]: '2xx', [LABEL.errorType]: '' };
    expect((await scrape(cli.admin)).value(METRIC.serverRequests, requests)).toBe(1);

    const reloads = async (result: string): Promise<number> => (await scrape(cli.admin)).value(METRIC.configReloads, { [LABEL.result]: result });
    writeFileSync(path, JSON.stringify({ ...config('broken'), routes: [{ name: 'broken' }] }));
    cli.child.kill('SIGHUP');
    await waitFor(async () => (await reloads('failure')) === 1, 5_000, 'the rejected reload to be counted');
    expect((await scrape(cli.admin)).value(METRIC.configLastReloadSuccessful)).toBe(0);

    writeFileSync(path, JSON.stringify(config('after')));
    cli.child.kill('SIGHUP');
    await waitFor(async () => (await reloads('success')) === 1, 5_000, 'the reload to be counted');
    expect((await scrape(cli.admin)).value(METRIC.configLastReloadSuccessful)).toBe(1);
    expect(await reloads('failure')).toBe(1);
    expect((await plainRequest(`http://${cli.proxy}/y`)).status).toBe(200);
    const after = await scrape(cli.admin);
    expect(after.value(METRIC.serverRequests, { ...requests, [LABEL.route]: 'after' })).toBe(1);
    expect(after.value(METRIC.serverRequests, requests)).toBe(1);
  });
});
