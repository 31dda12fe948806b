// Starting, querying, measuring and stopping the benchmark's processes. Every target runs in a process
// of its own, so its CPU and memory are its own and the load generator never shares its event loop.
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';

/** Forks a node script that speaks lib/ipc-child.mjs; resolves when it listens. */
export async function forkServer(script, args = [], env = {}, execArgv = []) {
  const child = fork(script, args, { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = await onceMessage(child, (m) => m.type === 'ready', 15_000, script);
  let nextId = 0;
  return {
    child,
    pid: child.pid,
    port: message.port,
    async query(type) {
      const id = ++nextId;
      child.send({ type, id });
      const [reply] = await onceMessage(child, (m) => m.type === 'reply' && m.id === id, 10_000, `${script} ${type}`);
      return reply.value;
    },
    stop: () => stopChild(child),
  };
}

function onceMessage(child, predicate, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message) => predicate(message) && finish(undefined, message);
    const onExit = (code) => finish(new Error(`${what} exited with ${code}`));
    function finish(error, message) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve([message]);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Spawns the hoptrace CLI and waits for its `listening proxy=… admin=…` line. */
export async function spawnHoptrace(bin, args, env = {}, execArgv = []) {
  const child = spawn(process.execPath, [...execArgv, bin, ...args], {
    env: { ...process.env, HOPTRACE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hoptrace did not start: ${out}`)), 20_000);
    const onData = (chunk) => {
      out += chunk;
      const match = /listening proxy=(\S+) admin=(\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        // Only the start is read: a target with the access log on writes a line per request to stdout, and
        // keeping (and searching) all of it here would cost this process CPU the targets are measured on.
        child.stdout.off('data', onData);
        out = '';
        resolve(match);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`hoptrace exited with ${code}`)));
  });
  child.stdout.resume(); // read and discarded from here on
  return { child, pid: child.pid, port: Number(line[1].split(':').pop()), admin: line[2], stop: () => stopChild(child) };
}

/** Spawns a native server (nginx, caddy) that listens on `port`; resolves once it accepts connections. */
export async function spawnNative(command, args, port, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (err = (err + chunk).slice(-4000)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${err}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) throw new Error(`${command} did not listen on ${port}: ${err}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, pid: child.pid, port, stop: () => stopChild(child) };
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A port that was free a moment ago, for servers that cannot report the one they bound. */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function stopChild(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The pid and all its descendants (cluster workers, nginx workers). */
export function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i += 1) {
    try {
      for (const task of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children !== '') pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // the process has gone
    }
  }
  return pids;
}

/** kB of a /proc/<pid>/status field (VmRSS, VmHWM) summed over the process tree. */
export function treeMemoryKb(pid, field) {
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${member}/status`, 'utf8'));
      if (match) total += Number(match[1]);
    } catch {
      // the process has gone
    }
  }
  return total;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by the process tree; for CPU time per request. */
export function treeCpuSeconds(pid) {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process has gone
    }
  }
  return ticks / TICKS_PER_SECOND;
}
