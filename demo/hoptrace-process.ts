/**
 * One hoptrace as a user runs it: the real CLI (`node bin/hoptrace.js --config <file>`) as a child process,
 * with its config written to `<name>.json`, its log (stderr, JSON lines) to `<name>.log` and its process id to
 * `<name>.pid`, all in the demo's folder.
 * Ports are 0; the addresses come from the `listening proxy=… admin=…` line it prints once ready.
 *
 * Each child gets its own process group (`detached`), so a Ctrl-C in the terminal reaches only the demo,
 * which then stops the hoptraces itself, in order, with exactly one SIGINT each: a second signal would make
 * a hoptrace exit at once without flushing its spans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../scripts/project-root.js';

export interface HoptraceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly configPath: string;
  readonly logPath: string;
  /** `127.0.0.1:<port>` of the proxy and of the admin port. */
  readonly proxy: string;
  readonly admin: string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Sends SIGINT (drain, flush, exit) once and waits for the exit. */
  stop(): Promise<number | string>;
  /** Rewrites the config file and sends SIGHUP, which makes hoptrace reload it. */
  reload(config: unknown): void;
}

const LISTENING = /^listening proxy=(\S+) admin=(\S+)$/m;
const START_TIMEOUT_MS = 15_000;

export async function startHoptrace(name: string, config: unknown, dir: string, env: NodeJS.ProcessEnv): Promise<HoptraceProcess> {
  const configPath = join(dir, `${name}.json`);
  const logPath = join(dir, `${name}.log`);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'hoptrace.js'), '--config', configPath], {
    env,
    stdio: ['ignore', 'pipe', log],
    detached: true,
  });
  closeSync(log); // the child has its own copy of the descriptor
  writeFileSync(join(dir, `${name}.pid`), `${child.pid}\n`);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));

  let stdout = '';
  const addresses = await new Promise<RegExpExecArray>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(`did not print its listening line within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const onData = (chunk: string): void => {
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match === null || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(match);
    };
    function fail(why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`the ${name} hoptrace ${why}; its log:\n${tail(logPath)}`));
    }
    child.stdout!.setEncoding('utf8').on('data', onData);
    void exited.then((code) => fail(`exited (${code}) before it was ready`));
  });
  // Anything it prints later (a console exporter, say) goes to its log, not the demo's output.
  child.stdout!.removeAllListeners('data');
  child.stdout!.pipe(createWriteStream(logPath, { flags: 'a' }));

  let stopping: Promise<number | string> | undefined;
  return {
    name,
    child,
    configPath,
    logPath,
    proxy: addresses[1]!,
    admin: addresses[2]!,
    exited,
    stop() {
      if (stopping === undefined) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        stopping = exited;
      }
      return stopping;
    },
    reload(next) {
      writeFileSync(configPath, `${JSON.stringify(next, null, 2)}\n`);
      child.kill('SIGHUP');
    },
  };
}

/** The last lines of a log, for an error message. */
export function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
