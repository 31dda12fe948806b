/**
 * The files a config names for TLS: the listener's certificate and key, and each route's `upstreamCa`.
 * They are read when a config is put to use (start, and every reload, so a renewed certificate is picked
 * up by SIGHUP), never per request. The config itself keeps only the paths: the private key never sits in
 * a structure that might be logged or shown. Every unreadable or unusable file is reported at once, one
 * line per file, each starting with the JSON path of the field that names it.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, HOP_ERR } from '../errors.js';
import type { HopConfig } from './types.js';

export interface ListenerTls {
  readonly cert: string;
  readonly key: string;
}

export interface TlsFiles {
  /** The listener's PEM certificate chain and key, when `tls` is configured. */
  readonly listener: ListenerTls | undefined;
  /** `upstreamCa` path → the PEM bundle read from it. */
  readonly upstreamCa: ReadonlyMap<string, string>;
}

export function readTlsFiles(config: HopConfig): TlsFiles {
  const issues: string[] = [];
  let listener: ListenerTls | undefined;
  if (config.tls !== undefined) {
    const cert = readPem('tls.cert', config.tls.cert, issues);
    const key = readPem('tls.key', config.tls.key, issues);
    if (cert !== undefined && key !== undefined) {
      try {
        createSecureContext({ cert, key });
        listener = { cert, key };
      } catch (error) {
        issues.push(`tls: cannot use ${config.tls.cert} with ${config.tls.key}: ${(error as Error).message}`);
      }
    }
  }
  const upstreamCa = new Map<string, string>();
  config.routes.forEach((route, index) => {
    const path = route.upstreamCa;
    if (path === undefined || upstreamCa.has(path)) return;
    const pem = readPem(`routes[${index}].upstreamCa`, path, issues);
    if (pem === undefined) return;
    if (isCertificate(pem)) upstreamCa.set(path, pem);
    else issues.push(`routes[${index}].upstreamCa: ${path} holds no PEM certificate`);
  });
  if (issues.length > 0) throw new ConfigError(HOP_ERR.CONFIG_READ, issues);
  return { listener, upstreamCa };
}

/** OpenSSL skips what it cannot parse in a CA list without a word, so the bundle is checked here. */
function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem); // parses the first certificate of the bundle
    return true;
  } catch {
    return false;
  }
}

function readPem(field: string, path: string, issues: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (cause as Error).message;
    issues.push(`${field}: cannot read ${path}: ${reason}`);
    return undefined;
  }
}
