// The load generators, each run as a process of its own: wrk when it is installed (C, cheap on a small
// machine), autocannon otherwise. Both return { requests, rps, p50_us, p99_us, ... }.
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WRK_REPORT = fileURLToPath(new URL('../wrk/report.lua', import.meta.url));
const WRK_RATE = fileURLToPath(new URL('../wrk/rate.lua', import.meta.url));
const AUTOCANNON_CHILD = fileURLToPath(new URL('./autocannon-child.mjs', import.meta.url));

export function wrkVersion() {
  try {
    return /wrk (\S+)/.exec(execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? 'unknown';
  } catch (error) {
    // wrk --version exits 1 after printing its banner
    const out = `${error.stdout ?? ''}`;
    return /wrk (\S+)/.exec(out)?.[1];
  }
}

/**
 * Drives `url` with `connections` keep-alive connections for `seconds`; `rate` (requests/s) makes it a
 * fixed-rate run instead of as-fast-as-possible.
 */
export async function drive(tool, { url, connections, seconds, rate }) {
  const raw = tool === 'wrk' ? await runWrk(url, connections, seconds, rate) : await runAutocannon(url, connections, seconds, rate);
  return { ...raw, rps: raw.requests / (raw.duration_us / 1e6) };
}

function runWrk(url, connections, seconds, rate) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', rate ? WRK_RATE : WRK_REPORT, url];
  if (rate) args.push('--', String(rate));
  return runJson('wrk', args);
}

function runAutocannon(url, connections, seconds, rate) {
  const options = { url, connections, duration: seconds, timeout: 5 };
  if (rate) options.overallRate = rate;
  return runJson(process.execPath, [AUTOCANNON_CHILD, JSON.stringify(options)]);
}

function runJson(command, args) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line === undefined) return reject(new Error(`${command} gave no result: ${error?.message ?? ''} ${stderr}`));
      resolve(JSON.parse(line));
    });
  });
}
