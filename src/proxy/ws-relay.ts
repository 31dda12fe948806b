/**
 * A relayed WebSocket session, used whenever the session is traced (its frames must be seen to be counted).
 * The proxy first opens its own `ws` connection to the upstream, offering the client's subprotocols (and
 * permessage-deflate if the client offered it); only when the upstream has accepted does the client get its
 * 101, with the subprotocol the upstream chose and compression only if the upstream agreed to it. So the
 * upstream's refusal can still reach the client as an HTTP answer, and both ends see the same negotiation
 * outcome. Compression parameters are negotiated per connection, as `ws` does on each side.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { UpstreamWsHandshakeError, WsHandshakeInvalidError, type ResponseError } from '../errors.js';
import type { Target } from '../routing/balance.js';
import { upstreamErrorFor } from './respond-error.js';
import { WS_LIMITS, type WsAcceptors } from './ws-accept.js';
import { offeredSubprotocols, offersPerMessageDeflate, PERMESSAGE_DEFLATE, upstreamResponseHeaders } from './ws-headers.js';
import { MessageRelay } from './ws-message-relay.js';
import { upstreamTls } from './ws-upstream-tls.js';
import type { Tunnel, TunnelEvents, TunnelOptions } from './ws-session.js';

export function openRelay(acceptors: WsAcceptors, options: TunnelOptions, events: TunnelEvents): Tunnel {
  const { req, socket } = options;
  // 'connecting' until the hop has been told one outcome; 'aborted' when the hop gave up on the handshake.
  let state: 'connecting' | 'told' | 'aborted' = 'connecting';
  let relay: MessageRelay | undefined;
  let upgrade: IncomingMessage | undefined;

  const fail = (error: ResponseError): void => {
    if (state !== 'connecting') return;
    state = 'told';
    events.onFailed(error);
  };

  let upstream: WebSocket;
  try {
    upstream = new WebSocket(upstreamUrl(options.target, options.path), offeredSubprotocols(req.headers), {
      headers: options.headers,
      perMessageDeflate: offersPerMessageDeflate(req.headers) ? {} : false,
      autoPong: false,
      maxPayload: WS_LIMITS.maxPayload,
      followRedirects: false,
      // ws hands its options to tls.connect, secureContext included (its typings list fewer TLS options).
      ...(upstreamTls(options.target) as WebSocket.ClientOptions | undefined),
    });
  } catch (error) {
    // ws rejects a subprotocol list that is not a list of distinct tokens; the hop checks this first.
    fail(new WsHandshakeInvalidError((error as Error).message));
    return { close() {}, terminate() {} };
  }

  upstream.on('upgrade', (res) => {
    upgrade = res;
  });
  upstream.on('unexpected-response', (request, res) => {
    if (state !== 'connecting') {
      request.destroy();
      return;
    }
    state = 'told';
    res.once('close', () => upstream.terminate());
    events.onRefused(res);
  });
  // After the 101 the relay listens for errors itself; before it, an error means no session.
  upstream.on('error', (error) => fail(handshakeError(error)));
  upstream.once('open', () => {
    if (state !== 'connecting') {
      upstream.terminate();
      return;
    }
    const terms = {
      subprotocol: upstream.protocol,
      headers: [...upstreamResponseHeaders(upgrade!, false), ...options.responseHeaders],
      onReject: (error: Error) => {
        upstream.terminate();
        fail(new WsHandshakeInvalidError(error.message));
      },
    };
    acceptors.accept(req, socket, options.takeHead(), upstream.extensions.includes(PERMESSAGE_DEFLATE), terms, (client) => {
      state = 'told';
      socket.resume(); // ws reads through its own 'data' listener, which does not undo takeHead's pause
      relay = new MessageRelay(client, upstream, options.idleTimeoutMs, (summary) => events.onEnd(summary));
      events.onOpen({ response: upgrade!, subprotocol: client.protocol, extensions: client.extensions });
    });
  });

  return {
    close(code, reason) {
      relay?.close(code, reason);
    },
    terminate() {
      if (relay !== undefined) {
        relay.terminate();
        return;
      }
      if (state === 'connecting') state = 'aborted';
      upstream.terminate();
    },
  };
}

/** ws:// or wss:// to the target, with the target's base path in front of the request's. */
export function upstreamUrl(target: Target, path: string): string {
  const scheme = target.protocol === 'https:' ? 'wss:' : 'ws:';
  const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
  return `${scheme}//${host}:${target.port}${target.basePath}${path}`;
}

/**
 * Socket-level failures carry an errno code (refused, reset, DNS, TLS); an error without one comes from `ws`
 * checking the upstream's 101 (wrong accept key, a subprotocol or extension that was not offered).
 */
function handshakeError(error: Error): ResponseError {
  return (error as NodeJS.ErrnoException).code === undefined ? new UpstreamWsHandshakeError({ cause: error }) : upstreamErrorFor(error);
}
