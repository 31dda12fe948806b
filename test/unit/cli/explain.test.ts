/** explainStartError on real listen errors, for the cases a CLI run cannot set up without guessing a free port. */
import http from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { explainStartError } from '../../../src/cli/explain.js';
import { buildConfig } from '../../../src/config/index.js';
import { listen } from '../../helpers/listen.js';

async function listenError(port: number): Promise<Error> {
  const server = http.createServer();
  server.listen(port, '127.0.0.1');
  const [error] = (await once(server, 'error')) as [Error];
  return error;
}

describe('explainStartError', () => {
  it('says when listen and admin name the same port', async () => {
    const taken = await listen(http.createServer());
    const config = buildConfig({ listen: `127.0.0.1:${taken.port}`, admin: `127.0.0.1:${taken.port}`, routes: [] }, {}, 'routes.json');
    expect(explainStartError(await listenError(taken.port), config)).toEqual([
      `hoptrace: cannot listen on 127.0.0.1:${taken.port} ("admin" in routes.json): "listen" and "admin" name the same port.`,
      'Give them different ports (the admin port is 9901 by default).',
    ]);
  });

  it('passes any other failure through with its message', () => {
    const config = buildConfig({ routes: [] });
    expect(explainStartError(new Error('boom'), config)).toEqual(['hoptrace: cannot start: boom']);
  });
});
