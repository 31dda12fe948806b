/**
 * The CLI's messages for the mistakes a newcomer makes first: no config file, a bare file name instead of
 * --config, a port already taken, an address this machine does not have. Each names the field or address
 * and says what to do next (SPEC §1: the proxy never starts on a bad config).
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { SMALLEST_CONFIG } from '../../src/cli/explain.js';
import { buildConfig } from '../../src/config/index.js';
import { runCli, writeConfig } from '../helpers/cli.js';
import { listen } from '../helpers/listen.js';

describe('hoptrace CLI guidance', () => {
  it('without a config file, says how to give one and shows the smallest config', async () => {
    const run = runCli(['--config', '/nonexistent/routes.json']);
    expect(await run.exited).toBe(1);
    expect(run.stderr().split('\n')).toEqual([
      'hoptrace: /nonexistent/routes.json: cannot read the config: no such file',
      'Give the config with --config <file> (default: ./routes.json), or create /nonexistent/routes.json. The smallest config:',
      `  ${SMALLEST_CONFIG}`,
      'Every field is described in README.md and routes.schema.json. Check a config with: hoptrace --check --config <file>',
      '',
    ]);
  });

  it('shows a smallest config that is valid', () => {
    const config = buildConfig(JSON.parse(SMALLEST_CONFIG));
    expect(config.routes.map((route) => route.targets)).toEqual([['http://127.0.0.1:3000']]);
  });

  it('turns a bare file name into the --config it meant', async () => {
    const run = runCli(['routes.json']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe('hoptrace: unexpected argument "routes.json". To use it as the config: hoptrace --config routes.json\n');
  });

  it('names the listen address that is already in use and what to do', async () => {
    const taken = await listen(http.createServer());
    const path = writeConfig({ listen: `127.0.0.1:${taken.port}`, admin: '127.0.0.1:0', routes: [{ name: 'r', upstream: 'http://127.0.0.1:1' }] });
    const run = runCli(['--config', path]);
    expect(await run.exited).toBe(1);
    expect(run.stdout()).toBe('');
    expect(run.stderr().split('\n')).toEqual([
      `hoptrace: cannot listen on 127.0.0.1:${taken.port} ("listen" in ${path}): the address is already in use.`,
      `Another process holds port ${taken.port} (find it with: ss -ltnp 'sport = :${taken.port}'); stop it, or set "listen" to a free port (port 0 picks any free one).`,
      '',
    ]);
  });

  it('names the admin address when that is the one in use', async () => {
    const taken = await listen(http.createServer());
    const path = writeConfig({ listen: '127.0.0.1:0', admin: `127.0.0.1:${taken.port}`, routes: [] });
    const run = runCli(['--config', path]);
    expect(await run.exited).toBe(1);
    expect(run.stderr().split('\n')[0]).toBe(`hoptrace: cannot listen on 127.0.0.1:${taken.port} ("admin" in ${path}): the address is already in use.`);
    expect(run.stderr()).toContain('set "admin" to a free port');
  });

  it('says when the listen host is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): assigned to no machine, so binding it fails; nothing is sent.
    const path = writeConfig({ listen: '192.0.2.1:0', admin: '127.0.0.1:0', routes: [] });
    const run = runCli(['--config', path]);
    expect(await run.exited).toBe(1);
    expect(run.stderr().split('\n')).toEqual([
      `hoptrace: cannot listen on 192.0.2.1:0 ("listen" in ${path}): 192.0.2.1 is not an address of this machine.`,
      'Use 0.0.0.0 (every interface, as in a container), 127.0.0.1 (this machine only), or one of its own addresses.',
      '',
    ]);
  });
});
