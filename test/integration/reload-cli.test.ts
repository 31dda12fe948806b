/**
 * Reload through the real CLI (SPEC §1): SIGHUP, and a change of the file when `watch: true`. A valid file
 * takes effect for new requests; an invalid one is reported with the same lines as at start (those of
 * `--check`) and the running config stays.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeConfig } from '../helpers/cli.js';
import { send, startRecordingUpstream } from '../helpers/faults.js';
import { waitFor } from '../helpers/wait.js';

const INVALID = { routes: [{ name: 'api', upstream: 'ftp://files.internal' }] };

async function upstreamsAnswering(...names: string[]) {
  return Promise.all(names.map((name) => startRecordingUpstream((_req, res) => res.end(name))));
}

function configWith(upstream: string, extra: Record<string, unknown> = {}) {
  return { listen: '127.0.0.1:0', admin: '127.0.0.1:0', ...extra, routes: [{ name: 'api', upstream }] };
}

/** Lines the process wrote to stderr for people (its JSON log lines left out). */
function humanLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
}

/** What `hoptrace --check` says about the file at `path`, line by line. */
async function checkLines(path: string): Promise<string[]> {
  const check = runCli(['--check', '--config', path]);
  expect(await check.exited).toBe(1);
  return humanLines(check.stderr());
}

describe('reload through the CLI', () => {
  it('applies a valid config on SIGHUP to the requests that follow', async () => {
    const [a, b] = await upstreamsAnswering('a', 'b');
    const path = writeConfig(configWith(a!.url));
    const cli = await startCli(path);
    expect((await send(`http://${cli.proxy}`)).body).toBe('a');

    writeFileSync(path, JSON.stringify(configWith(b!.url)));
    cli.child.kill('SIGHUP');

    await waitFor(async () => (await send(`http://${cli.proxy}`)).body === 'b', 5_000, 'the new upstream to answer');
    expect(cli.child.exitCode).toBeNull();
  });

  it('rejects an invalid config on SIGHUP with the start-up messages and keeps the running one', async () => {
    const [a] = await upstreamsAnswering('a');
    const path = writeConfig(configWith(a!.url));
    const cli = await startCli(path);

    writeFileSync(path, JSON.stringify(INVALID));
    const expected = [...(await checkLines(path)), 'hoptrace: reload rejected; the running config stays in effect'];
    cli.child.kill('SIGHUP');

    const lines = await waitFor(() => humanLines(cli.stderr()).length >= expected.length && humanLines(cli.stderr()), 5_000, 'the rejection');
    expect(lines).toEqual(expected);
    expect(expected).toContain('routes[0].upstream: must be an http or https URL');
    expect((await send(`http://${cli.proxy}`)).body).toBe('a');
    expect(cli.child.exitCode).toBeNull();
  });

  it('with watch: true, reloads when the file is saved in place or renamed over, and rejects an invalid save', async () => {
    const [a, b, c] = await upstreamsAnswering('a', 'b', 'c');
    const path = writeConfig(configWith(a!.url, { watch: true }));
    const cli = await startCli(path);
    const proxyUrl = `http://${cli.proxy}`;
    expect((await send(proxyUrl)).body).toBe('a');

    // How many editors save: write a new file beside the old one, then rename it over the old one.
    const temporary = join(dirname(path), '.routes.json.swp');
    writeFileSync(temporary, JSON.stringify(configWith(b!.url, { watch: true })));
    renameSync(temporary, path);
    await waitFor(async () => (await send(proxyUrl)).body === 'b', 5_000, 'the renamed-over file to be applied');

    // And a save in place, on the file that replaced the first one.
    writeFileSync(path, JSON.stringify(configWith(c!.url, { watch: true })));
    await waitFor(async () => (await send(proxyUrl)).body === 'c', 5_000, 'the file saved in place to be applied');

    writeFileSync(path, JSON.stringify(INVALID));
    await waitFor(() => cli.stderr().includes('hoptrace: reload rejected; the running config stays in effect'), 5_000, 'the rejection');
    expect(humanLines(cli.stderr())).toContain('routes[0].upstream: must be an http or https URL');
    expect((await send(proxyUrl)).body).toBe('c');
    expect(cli.child.exitCode).toBeNull();
  });
});
