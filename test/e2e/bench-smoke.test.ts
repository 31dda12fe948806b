/**
 * The benchmark's smoke mode (`npm run bench -- --smoke`): a second of load per target, asserting only that
 * the run completes and that hoptrace's spans reached the benchmark's span sink. No timing is checked here.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const RUN = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));

describe('npm run bench -- --smoke', () => {
  it('completes and the span sink receives hoptrace spans', async () => {
    const child = spawn(process.execPath, [RUN, '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const [code] = await once(child, 'exit');
    expect(code, err).toBe(0);

    const summary = JSON.parse(/^BENCH_SUMMARY (.*)$/m.exec(out)![1]!) as Record<string, { requests: number; spansPerRequest?: number }>;
    expect(summary['hoptrace-100-zipkin']!.requests).toBeGreaterThan(0);
    expect(summary['hoptrace-100-zipkin']!.spansPerRequest).toBeGreaterThan(0);
    expect(out).toContain('## Maximum throughput');
  }, 60_000);
});
