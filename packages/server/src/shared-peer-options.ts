import { isCredit } from '@duplex/core';
import type { PeerLimitOptions } from './limits.js';
import type { SharedPeerOptions } from './server-peer-options.js';

/** What every adapter's options hold for its peers: the router, hooks, codecs and limits. */
export type PeerOptionSource = PeerLimitOptions &
  Pick<SharedPeerOptions, 'router' | 'exposeErrors' | 'onError' | 'codecs' | 'helloTimeoutMs' | 'clock' | 'dedupe' | 'recheckSubscriptions' | 'streamWindow' | 'instrumentation' | 'credentialsExpireAt'>;

/**
 * The peer options an adapter shares between its connections, taken from its own options field
 * by field (so per-connection state stays small), with the adapter's `createContext` wrapper.
 */
export function sharedPeerOptions(options: PeerOptionSource, createContext: SharedPeerOptions['createContext']): SharedPeerOptions {
  const { streamWindow } = options;
  if (streamWindow !== undefined && !isCredit(streamWindow, 1)) throw new TypeError(`duplex: streamWindow must be an integer from 1 to 2^31 - 1, not ${String(streamWindow)}`);
  return {
    router: options.router,
    createContext,
    exposeErrors: options.exposeErrors,
    onError: options.onError,
    codecs: options.codecs,
    helloTimeoutMs: options.helloTimeoutMs,
    clock: options.clock,
    maxMessageBytes: options.maxMessageBytes,
    dedupe: options.dedupe,
    recheckSubscriptions: options.recheckSubscriptions,
    streamWindow: options.streamWindow,
    credentialsExpireAt: options.credentialsExpireAt,
    maxJsonDepth: options.maxJsonDepth,
    maxCallsInFlight: options.maxCallsInFlight,
    maxSubscriptions: options.maxSubscriptions,
    maxClientStreams: options.maxClientStreams,
    maxProtocolErrors: options.maxProtocolErrors,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
    instrumentation: options.instrumentation,
  };
}
