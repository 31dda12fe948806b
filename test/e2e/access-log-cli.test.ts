/**
 * The access log through the real CLI: on stdout by default, after the `listening` line, every line
 * written before the process exits; and a file that cannot be opened stops the start.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, startCli, writeConfig } from '../helpers/cli.js';
import { plainRequest, type PlainResponse } from '../helpers/plain-request.js';
import { startUpstream } from '../helpers/upstream.js';
import { waitFor } from '../helpers/wait.js';

type AccessLine = Record<string, unknown> & { trace_id: string; span_id: string };

describe('access log from the CLI', () => {
  it('goes to stdout by default after the listening line, from the real CLI, and is complete at exit', async () => {
    const upstream = await startUpstream();
    const cli = await startCli(writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'web', upstream: upstream.url }] }));
    const responses: PlainResponse[] = [];
    for (const path of ['/a?q=1', '/b', '/c']) responses.push(await plainRequest(`http://${cli.proxy}${path}`));
    // No wait for the lines: the drain on SIGTERM must write every one before the process exits.
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    const [listening, ...rest] = cli.stdout().split('\n').filter((line) => line !== '');
    expect(listening).toBe(`listening proxy=${cli.proxy} admin=${cli.admin}`);
    // With several workers (the default on a multi-core host) each writes its own lines, so the order of
    // lines across workers is not the order of the requests: compare them sorted by path.
    const lines = rest.map((line) => JSON.parse(line) as AccessLine).sort((a, b) => String(a.path).localeCompare(String(b.path)));
    expect(lines.map((line) => line.path)).toEqual(['/a', '/b', '/c']);
    lines.forEach((line, index) => {
      // traceresponse: 00-<trace id>-<server span id>-<flags>
      const [, traceId, spanId] = String(responses[index]!.headers.traceresponse).split('-');
      expect([line.trace_id, line.span_id]).toEqual([traceId, spanId]);
      expect(line).toMatchObject({ route: 'web', service: 'hoptrace', status: 200, upstream: upstream.url, error: null });
    });
  });

  it('keeps every line whole with several workers, on a stdout pipe that fills up', async () => {
    const upstream = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-pipe-'));
    const config = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'web', upstream: upstream.url }] });
    // A real pipe, as in `hoptrace | cat` (a child's stdio from Node is a socket pair, which does not cut
    // writes of this size in two).
    const pidFile = join(dir, 'pid');
    const script = `{ "${process.execPath}" "${BIN}" --config "${config}" --workers 2 & echo $! > "${pidFile}"; wait; } | dd bs=4096 status=none`;
    const shell = spawn('sh', ['-c', script], { env: { PATH: process.env.PATH, HOPTRACE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    try {
      const [, proxy] = await waitFor(() => /listening proxy=(\S+)/.exec(out) ?? undefined, 20_000, 'the listening line');
      // Not read for a while (twice), the pipe fills and each worker's batch (up to 64 KiB) waits in
      // write(). Two workers writing to the pipe would then each write what fits as dd frees a page,
      // cutting lines in two; as each worker's output goes through the primary, whole lines come out.
      const count = 4_000;
      for (let sent = 0; sent < count; sent += 50) {
        if (sent % 2_000 === 0) shell.stdout!.pause();
        await Promise.all(Array.from({ length: 50 }, (_, i) => plainRequest(`http://${proxy}/item/${sent + i}`)));
        if ((sent + 50) % 2_000 === 0) shell.stdout!.resume();
      }
      const written = (): string[] => out.split('\n').filter((line) => line !== '' && !line.startsWith('listening '));
      await waitFor(() => (written().length >= count ? true : undefined), 10_000, 'a line for every request');

      const paths = written().map((line) => String((JSON.parse(line) as AccessLine).path));
      expect(new Set(paths).size).toBe(count);
      expect(paths.filter((path) => path.startsWith('/item/'))).toHaveLength(count);
    } finally {
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      await once(shell, 'exit');
    }
  }, 60_000);

  it('writes lines in batches, each line within a fraction of a second when the traffic stops', async () => {
    const upstream = await startUpstream();
    const cli = await startCli(writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', routes: [{ name: 'web', upstream: upstream.url }] }), {}, ['--workers', '1']);
    // Each 'data' event is what one read of the pipe found: one per write when lines are written as they come.
    let reads = 0;
    cli.child.stdout!.on('data', () => (reads += 1));
    const count = 40;
    for (let i = 0; i < count; i += 1) expect((await plainRequest(`http://${cli.proxy}/r${i}`)).status).toBe(200);
    const sentAt = Date.now();
    // No more traffic: the periodic flush alone must bring the last lines out.
    await waitFor(() => (cli.stdout().split('\n').filter((line) => line.startsWith('{')).length === count ? true : undefined), 5_000, 'every access line');
    expect(Date.now() - sentAt).toBeLessThan(2_000);
    expect(reads).toBeLessThanOrEqual(10);
  });

  it('exits on SIGTERM when the reader of its output has gone, as in `hoptrace | head -n 3`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoptrace-head-'));
    // Only the process log writes at shutdown (stderr, joined to stdout below): the drain's "draining", then
    // its "stopped" a moment later.
    const config = writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', accessLog: { enabled: false }, routes: [] });
    // `timeout` sends SIGTERM after 8 s (time to start under a loaded test run), and SIGKILL 5 s later to a
    // process that is still there; head leaves after the third line, the drain's "draining", so the last
    // line ("stopped") meets a closed pipe at exit.
    // With sonic-boom 4, pino's flush at exit retried that failed write forever: the process never ended.
    const script = `{ timeout --preserve-status -k 5 8 "${process.execPath}" "${BIN}" --config "${config}" --workers 1 2>&1; echo $? > "${join(dir, 'status')}"; } | head -n 3`;
    const shell = spawn('sh', ['-c', script], { env: { PATH: process.env.PATH, HOPTRACE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => (seen += chunk));
    await once(shell, 'exit');
    expect(seen).toContain('"msg":"draining"');
    // The shell waits for the whole pipeline, so the status is written by now, unless the kill took the
    // subshell with it.
    const statusFile = join(dir, 'status');
    const status = existsSync(statusFile) ? readFileSync(statusFile, 'utf8').trim() : 'none: killed';
    expect(status, 'exit status of hoptrace (137 or none: it had to be killed)').toBe('0');
  }, 30_000);

  it('refuses to start when its file cannot be opened', async () => {
    const run = runCli(['--config', writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', accessLog: { destination: '/nonexistent-hoptrace-dir/a.log' }, routes: [] })]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain(
      'hoptrace: cannot start: accessLog.destination: cannot open /nonexistent-hoptrace-dir/a.log: ENOENT: no such file or directory\n',
    );
    expect(run.stdout()).toBe('');
  });
});
