/**
 * TLS files through the real CLI: `--check` reads them too, and a SIGHUP whose certificate cannot be read
 * is rejected with the field named, the proxy keeps serving with the certificate it has.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeConfig } from '../helpers/cli.js';
import { createTestPki, httpsRequest } from '../helpers/tls.js';
import { startUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

describe('TLS files and the CLI', () => {
  it('--check reports a certificate file it cannot read, with its field, exit 1', async () => {
    const pki = createTestPki();
    const server = pki.issue('proxy');
    const path = writeConfig({ tls: { cert: server.certPath, key: `${pki.dir}/nope.key` }, routes: [{ name: 'r', upstream: 'http://127.0.0.1:1' }] });

    const run = runCli(['--check', '--config', path]);

    expect(await run.exited).toBe(1);
    expect(run.stderr().split('\n').slice(0, 2)).toEqual([`hoptrace: ${path} is not a valid config:`, `tls.key: cannot read ${pki.dir}/nope.key: no such file`]);
  });

  it('keeps serving with the running certificate when a SIGHUP finds the key gone', async () => {
    const pki = createTestPki();
    const server = pki.issue('proxy');
    const upstream = await startUpstream();
    const path = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', tls: { cert: server.certPath, key: server.keyPath }, routes: [{ name: 'r', upstream: upstream.url }] });
    const cli = await startCli(path);

    rmSync(server.keyPath);
    cli.child.kill('SIGHUP');
    await waitFor(() => cli.stderr().includes(`tls.key: cannot read ${server.keyPath}: no such file\n`), 5_000, 'the rejected reload');

    expect((await httpsRequest(`https://${cli.proxy}/`, pki.ca)).status).toBe(200);
    expect(cli.child.exitCode).toBeNull();
  });
});
