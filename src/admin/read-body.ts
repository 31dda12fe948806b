/**
 * Reads a request body into memory with a hard cap, decoding `Content-Encoding: gzip` on the way (the cap
 * applies to the decoded bytes too, so a small gzip bomb cannot grow past it). Past the cap, keeping stops
 * and the request fails with 413; the rest of the body is read and discarded, so the client still gets
 * the answer instead of a reset connection.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { AdminRequestError, HOP_ERR } from '../errors.js';

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    return Promise.reject(
      new AdminRequestError(HOP_ERR.ADMIN_UNSUPPORTED_MEDIA, 415, [`content-encoding ${encoding} is not supported; send gzip or none`]),
    );
  }
  const gunzip = encoding === 'gzip' ? createGunzip() : undefined;
  const source: Readable = gunzip === undefined ? req : req.pipe(gunzip);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (error: AdminRequestError): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      if (gunzip !== undefined) {
        req.unpipe(gunzip);
        gunzip.destroy();
      }
      req.resume(); // discard the rest; destroying req would reset the connection before the answer
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > maxBytes) stop(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks, length));
    source.on('data', onData);
    source.once('end', onEnd);
    const onError = (error: Error): void =>
      stop(new AdminRequestError(HOP_ERR.ADMIN_BAD_SPANS, 400, [`body could not be read: ${error.message}`]));
    source.once('error', onError);
    if (source !== req) req.once('error', onError);
  });
}

function tooLarge(maxBytes: number): AdminRequestError {
  return new AdminRequestError(HOP_ERR.ADMIN_BODY_TOO_LARGE, 413, [`body is larger than ${maxBytes} bytes`]);
}
