/**
 * The access log through the real CLI: on stdout by default, after the `listening` line, every line
 * written before the process exits; and a file that cannot be opened stops the start.
 */
import { describe, expect, it } from 'vitest';
import { runCli, startCli, writeConfig } from '../helpers/cli.js';
import { plainRequest, type PlainResponse } from '../helpers/plain-request.js';
import { startUpstream } from '../helpers/upstream.js';

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

  it('refuses to start when its file cannot be opened', async () => {
    const run = runCli(['--config', writeConfig({ listen: '127.0.0.1:0', admin: '127.0.0.1:0', accessLog: { destination: '/nonexistent-hoptrace-dir/a.log' }, routes: [] })]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain(
      'hoptrace: cannot start: accessLog.destination: cannot open /nonexistent-hoptrace-dir/a.log: ENOENT: no such file or directory\n',
    );
    expect(run.stdout()).toBe('');
  });
});
