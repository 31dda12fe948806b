/**
 * Runs the real CLI (bin/hoptrace.js, over the built dist/) as a child process, and ends it with the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { waitFor } from './wait.js';

export const BIN = fileURLToPath(new URL('../../bin/hoptrace.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
}

export function writeConfig(config: unknown, name = 'routes.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-test-'));
  const path = join(dir, name);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOPTRACE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts the proxy CLI and waits for its `listening` line; returns the bound addresses. */
export async function startCli(configPath: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<CliRun & { proxy: string; admin: string }> {
  const run = runCli(['--config', configPath, ...args], env);
  const match = await waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`hoptrace exited early: ${run.stderr()}`);
      return /listening proxy=(\S+) admin=(\S+)/.exec(run.stdout()) ?? undefined;
    },
    // A cluster (the default: a worker per core) starts three processes, ~2 s on an idle 2-core machine and
    // over 10 s, twice, while the rest of the suite ran beside it.
    20_000,
    'the listening line',
  );
  return { ...run, proxy: match[1]!, admin: match[2]! };
}
