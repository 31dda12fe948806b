/**
 * Throw-away TLS material made by openssl for one test: a CA, and server certificates it signs (EC P-256,
 * valid for `localhost` and 127.0.0.1), as files (what the config names) and as PEM text (what clients
 * trust). Also an HTTPS upstream that records what it received, including the SNI name it was asked for.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { onTestFinished } from 'vitest';
import { listen } from './listen.js';
import type { ReceivedRequest, UpstreamHandler } from './upstream.js';

export interface Issued {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  caPath: string;
  ca: string;
  /** A server certificate signed by the CA, written to `<name>.pem` and `<name>.key`. */
  issue(name: string): Issued;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hoptrace-pki-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  openssl(dir, [
    'req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=hoptrace test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  const caPath = join(dir, 'ca.pem');
  return {
    dir,
    caPath,
    ca: readFileSync(caPath, 'utf8'),
    issue(name) {
      openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost']);
      openssl(dir, [
        'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-out', `${name}.pem`, '-days', '2',
        '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', 'server.ext',
      ]);
      const certPath = join(dir, `${name}.pem`);
      const keyPath = join(dir, `${name}.key`);
      return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
    },
  };
}

export interface HttpsUpstream {
  port: number;
  requests: Array<ReceivedRequest & { servername: string | false }>;
}

/** A real HTTPS upstream on 127.0.0.1 serving `issued`; answers 200 "ok" unless given a handler. */
export async function startHttpsUpstream(issued: Issued, handler?: UpstreamHandler): Promise<HttpsUpstream> {
  const requests: HttpsUpstream['requests'] = [];
  const server = https.createServer({ cert: issued.cert, key: issued.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const servername = (req.socket as TLSSocket).servername ?? false;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body, servername });
      if (handler !== undefined) handler(req, res, body);
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const { port } = await listen(server);
  return { port, requests };
}

export interface HttpsResponse {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

/** One HTTPS request on a fresh connection, trusting `ca`. */
export function httpsRequest(url: string, ca: string, headers: Record<string, string> = {}): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca, headers, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}
