/**
 * The real CLI as a child process (SPEC §1): flags, exit codes, config error messages, the listening
 * line, proxying with spans exported to a Zipkin receiver, and a clean exit on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeConfig } from '../helpers/cli.js';
import { startUpstream } from '../helpers/upstream.js';
import { startZipkinReceiver } from '../helpers/zipkin-receiver.js';

const HINT = (path: string) => `Fix the fields above (routes.schema.json describes each) and check again with: hoptrace --check --config ${path}`;

describe('hoptrace CLI', () => {
  it('prints its version and help', async () => {
    const version = runCli(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.stdout()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = runCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('Usage: hoptrace [--config routes.json] [--check]');
  });

  it('rejects an unknown flag with exit 1', async () => {
    const run = runCli(['--bogus']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain("hoptrace: Unknown option '--bogus'");
  });

  it('--check exits 0 for a valid config', async () => {
    const path = writeConfig({ routes: [{ name: 'r', upstream: 'http://127.0.0.1:1' }] });
    const run = runCli(['--check', '--config', path]);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe(`${path}: valid, 1 route(s)\n`);
  });

  it('--check reports a JSON syntax error with line and column, exit 1', async () => {
    const path = writeConfig('{\n  "routes": [\n    { "name": "r", }\n  ]\n}\n');
    const run = runCli(['--check', '--config', path]);
    expect(await run.exited).toBe(1);
    expect(run.stderr().split('\n')).toEqual([
      `hoptrace: ${path} is not a valid config:`,
      `${path}:3:20: Unexpected token }, expected a property name in double quotes`,
      HINT(path),
      '',
    ]);
  });

  it('--check reports each schema error with its path, exit 1', async () => {
    const path = writeConfig({ admin: '127.0.0.1:99999', routes: [{ name: 'a', upstream: 'http://x' }, { name: 'b', upstream: 'mailto:x' }] });
    const run = runCli(['--check', '--config', path]);
    expect(await run.exited).toBe(1);
    expect(run.stderr().split('\n')).toEqual([
      `hoptrace: ${path} is not a valid config:`,
      'admin: must be host:port, with a port from 0 to 65535',
      'routes[1].upstream: must be an http or https URL',
      HINT(path),
      '',
    ]);
  });

  it('reports a missing config file, exit 1', async () => {
    const run = runCli(['--config', '/nonexistent/routes.json']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('/nonexistent/routes.json: cannot read the config: no such file');
  });

  it('never starts on an invalid config', async () => {
    const path = writeConfig({ listen: '127.0.0.1:0', routes: [{ name: 'x' }] });
    const run = runCli(['--config', path]);
    expect(await run.exited).toBe(1);
    expect(run.stdout()).not.toContain('listening');
    expect(run.stderr()).toContain('routes[0].upstream: is required');
  });

  it('proxies, exports both spans to Zipkin, and flushes and exits 0 on SIGTERM', async () => {
    const upstream = await startUpstream();
    const zipkin = await startZipkinReceiver();
    const path = writeConfig({
      listen: '127.0.0.1:0',
      admin: '127.0.0.1:0',
      tracing: { serviceName: 'edge', exporters: [{ type: 'zipkin', endpoint: zipkin.endpoint }] },
      routes: [{ name: 'orders', service: 'orders', match: { pathPrefix: '/orders' }, upstream: upstream.url }],
    });
    const cli = await startCli(path);
    expect(cli.stdout()).toMatch(/^listening proxy=127\.0\.0\.1:\d+ admin=127\.0\.0\.1:\d+\n/);
    const res = await fetch(`http://${cli.proxy}/orders/7`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect((await fetch(`http://${cli.admin}/healthz`)).status).toBe(200);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    // Spans still queued at SIGTERM were flushed before the exit.
    const spans = await zipkin.waitForSpans(2);
    expect(spans.map((s) => `${s.kind} ${s.localEndpoint!.serviceName} ${s.name}`).sort()).toEqual(['CLIENT orders GET /orders', 'SERVER orders GET /orders']);
    expect(upstream.requests[0]!.headers.traceparent).toContain(spans[0]!.traceId);
  });

  it('takes OTEL_SERVICE_NAME and OTEL_EXPORTER_ZIPKIN_ENDPOINT from the environment', async () => {
    const upstream = await startUpstream();
    const zipkin = await startZipkinReceiver();
    const path = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'r', upstream: upstream.url }] });
    const cli = await startCli(path, { OTEL_SERVICE_NAME: 'from-env', OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.endpoint });
    await (await fetch(`http://${cli.proxy}/x`)).text();
    const spans = await zipkin.waitForSpans(2);
    expect(spans.map((s) => s.localEndpoint!.serviceName)).toEqual(['from-env', 'from-env']);
  });
});

describe('npx hoptrace', () => {
  it('runs from the project root after install', async () => {
    const child = spawn('npx', ['--no-install', 'hoptrace', '--version'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
