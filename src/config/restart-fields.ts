/**
 * Fields a reload cannot change, because they are fixed when the listening socket is created: whether it
 * speaks TLS, and the parser's header size cap. A reload that changes them is rejected as a whole (the
 * running config stays), which is clearer than taking half of it.
 */
import { ConfigError, HOP_ERR } from '../errors.js';
import type { HopConfig } from './types.js';

export function assertReloadable(current: HopConfig, next: HopConfig): void {
  const issues: string[] = [];
  if ((current.tls === undefined) !== (next.tls === undefined)) issues.push('tls: turning TLS on or off takes a restart');
  if (current.limits.maxHeaderBytes !== next.limits.maxHeaderBytes) issues.push('limits.maxHeaderBytes: a new value takes a restart');
  if (issues.length > 0) throw new ConfigError(HOP_ERR.CONFIG_INVALID, issues);
}
