/**
 * What the CLI says when it cannot go on, written for someone who has just installed hoptrace: what went
 * wrong, which field or address it is about, and the next thing to try. Each function returns the lines
 * to print on stderr.
 */
import type { HopConfig, HostPort } from '../config/types.js';

/** The smallest useful config, shown when there is none. Kept valid by a test. */
export const SMALLEST_CONFIG = '{ "listen": "127.0.0.1:8080", "routes": [{ "name": "app", "upstream": "http://127.0.0.1:3000" }] }';

/** The config file could not be read (most often: there is none where hoptrace looked). */
export function explainUnreadableConfig(issue: string, path: string): string[] {
  return [
    `hoptrace: ${issue}`,
    `Give the config with --config <file> (default: ./routes.json), or create ${path}. The smallest config:`,
    `  ${SMALLEST_CONFIG}`,
    'Every field is described in README.md and routes.schema.json. Check a config with: hoptrace --check --config <file>',
  ];
}

/** The argument parser's complaint, with the usual fix for a bare file name. */
export function explainBadArguments(error: Error & { code?: string }, argv: readonly string[]): string[] {
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const positional = argv.find((arg) => !arg.startsWith('-')) ?? '';
    return [`hoptrace: unexpected argument "${positional}". To use it as the config: hoptrace --config ${positional}`];
  }
  return [`hoptrace: ${error.message}`, 'Run "hoptrace --help" for the options.'];
}

/** A listen socket could not be opened: which one (`listen` or `admin`), and what to do about it. */
export function explainStartError(error: unknown, config: HopConfig): string[] {
  const cause = error as NodeJS.ErrnoException & { address?: string; port?: number };
  // A cluster worker's listen fails in the primary's bind, and is reported with syscall 'bind'.
  if (cause.syscall !== 'listen' && cause.syscall !== 'bind' && cause.code !== 'ENOTFOUND' && cause.code !== 'EAI_AGAIN') {
    return [`hoptrace: cannot start: ${cause.message}`];
  }
  const field = whichField(cause, config);
  const at = field === undefined ? `${cause.address ?? '?'}:${cause.port ?? '?'}` : show(config[field]);
  const where = field === undefined ? '' : ` ("${field}" in ${config.source ?? 'the config'})`;
  switch (cause.code) {
    case 'EADDRINUSE':
      if (config.listen.port === config.admin.port && config.listen.port !== 0) {
        return [
          `hoptrace: cannot listen on ${at}${where}: "listen" and "admin" name the same port.`,
          'Give them different ports (the admin port is 9901 by default).',
        ];
      }
      return [
        `hoptrace: cannot listen on ${at}${where}: the address is already in use.`,
        `Another process holds port ${cause.port ?? at} (find it with: ss -ltnp 'sport = :${cause.port}'); stop it, or set "${field ?? 'listen'}" to a free port (port 0 picks any free one).`,
      ];
    case 'EACCES':
      return [
        `hoptrace: cannot listen on ${at}${where}: permission denied.`,
        'Ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; use a port above 1023, such as 8080.',
      ];
    case 'EADDRNOTAVAIL':
      return [
        `hoptrace: cannot listen on ${at}${where}: ${cause.address ?? 'that host'} is not an address of this machine.`,
        'Use 0.0.0.0 (every interface, as in a container), 127.0.0.1 (this machine only), or one of its own addresses.',
      ];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return [
        `hoptrace: cannot listen on ${at}${where}: the host name does not resolve.`,
        'Use an IP address: 0.0.0.0 for every interface, 127.0.0.1 for this machine only.',
      ];
    default:
      return [`hoptrace: cannot listen on ${at}${where}: ${cause.message}`];
  }
}

/** The config field whose address failed: matched on the port Node reports, else on the host. */
function whichField(cause: { port?: number; address?: string; hostname?: string }, config: HopConfig): 'listen' | 'admin' | undefined {
  // The proxy opens first; when both name one port, it is the admin socket that fails.
  if (cause.port !== undefined && cause.port === config.admin.port && config.admin.port === config.listen.port) return 'admin';
  if (cause.port !== undefined && cause.port === config.listen.port) return 'listen';
  if (cause.port !== undefined && cause.port === config.admin.port) return 'admin';
  // Port 0 is not reported; the host is then the clue (the proxy's first, as it opens first).
  const host = cause.address ?? cause.hostname;
  if (host !== undefined && host === config.listen.host) return 'listen';
  if (host !== undefined && host === config.admin.host) return 'admin';
  return undefined;
}

function show(at: HostPort): string {
  return at.host.includes(':') ? `[${at.host}]:${at.port}` : `${at.host}:${at.port}`;
}
