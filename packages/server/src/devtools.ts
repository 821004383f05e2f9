import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AnyProcedure, type AnyRouter, isStreamSchema, type ProcedureKind } from '@duplex/core';
import { DEVTOOLS_PAGE, devtoolsPageCsp } from './devtools-page.js';
import { ErrorRing } from './error-ring.js';
import { type JsonSchema, jsonSchemaOf } from './json-schema-of.js';
import type { ErrorEvent, ServerPeer } from './server-peer.js';

/**
 * Options of the devtools page (`devtools` of `createWsServer`, `createBunServer`,
 * `createDenoServer` and `createFetchHandler`); see docs/devtools.md.
 */
export interface DevtoolsOptions {
  /**
   * The secret the page and its state endpoint require, at least 16 characters: open
   * `<path>?token=<token>`. Generate one per run, e.g. `crypto.randomUUID()`.
   */
  token: string;
  /** Where the page is served; its state is at `<path>/state`. @default '/__duplex' */
  path?: string;
  /** Answer requests from other hosts too; by default only loopback addresses get the page. @default false */
  allowRemote?: boolean;
  /** Recent errors kept for the page (a ring buffer; older ones are dropped). @default 100 */
  maxErrors?: number;
}

/** @see DevtoolsOptions.path */
export const DEFAULT_DEVTOOLS_PATH = '/__duplex';
/** @see DevtoolsOptions.maxErrors */
export const DEFAULT_DEVTOOLS_MAX_ERRORS = 100;
/** Shortest token accepted, so a guessable one is refused at start-up. */
export const MIN_DEVTOOLS_TOKEN_LENGTH = 16;

/** One error as the page lists it. */
export interface DevtoolsError {
  at: string;
  code: string;
  message: string;
  path: string | undefined;
  kind: ProcedureKind | undefined;
  connectionId: string;
}

/**
 * How the page reaches the server: a WebSocket on `socketPath` (the socket adapters), or the
 * HTTP mapping of protocol.md §12 under `httpBase` (the Fetch handler).
 */
export type DevtoolsEndpoint = { transport: 'websocket'; socketPath: string } | { transport: 'http'; httpBase: string };

/** What the devtools read from the server they belong to. */
export interface DevtoolsSource {
  router: AnyRouter;
  /** The live connections' peers (on HTTP: the requests and event streams being answered). */
  peers(): Iterable<ServerPeer>;
  /** Where the page sends its calls. */
  endpoint(): DevtoolsEndpoint;
  /** The server's clock (ms since the epoch). */
  now(): number;
}

/** A request as the devtools read it, whatever the runtime. */
export interface DevtoolsRequest {
  method: string;
  /** The request target: a path with its query, or an absolute URL. */
  url: string;
  authorization: string | null | undefined;
  /** The TCP peer's address; unknown counts as remote. */
  address: string | undefined;
}

/** The devtools' answer, for the adapter to send with its runtime's response. */
export interface DevtoolsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The devtools of one server: its HTTP handler, error tap and connection bookkeeping. */
export interface Devtools {
  /** Where the page is (the resolved `path` option). */
  readonly path: string;
  /** The answer to a request for the page, its state, or a path below them (404). */
  answer(request: DevtoolsRequest): Promise<DevtoolsAnswer>;
  /** Answers a Node request for the page or its state; false (untouched) for any other path. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /**
   * Answers a Fetch request for the page or its state; undefined for any other path and for a
   * WebSocket upgrade (the page's own socket, an ordinary duplex connection).
   */
  handleFetch(request: Request, address: string | undefined): Promise<Response> | undefined;
  /** An `onError` that records each error, then calls the app's own hook. */
  tapErrors(onError: ((event: ErrorEvent) => void) | undefined): (event: ErrorEvent) => void;
  /** Notes when and from where a connection came. */
  opened(peer: ServerPeer, address: string): void;
}

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

const encoder = new TextEncoder();

/** SHA-256 with Web Crypto, which Node (20+), Bun, Deno and Workers all have: no Node built-in here. */
async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
}

/** Compares two digests of the same length in time that does not depend on where they differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] ?? 0);
  return diff === 0;
}

function pathnameOf(url: string): URL | undefined {
  try {
    return new URL(url, 'http://devtools.invalid');
  } catch {
    return undefined; // not a path this page could have; the app's own handler answers it
  }
}

function reply(status: number, type: string, body: string, headers: Record<string, string> = {}): DevtoolsAnswer {
  return { status, headers: { ...SECURITY_HEADERS, 'Content-Type': type, ...headers }, body };
}

/** One procedure as the page lists it; `inputStream` marks a client stream (`streamOf` input), `input` then its item schema. */
interface DescribedProcedure {
  path: string;
  kind: ProcedureKind;
  input: JsonSchema | null;
  inputStream: boolean;
}

function describeProcedures(router: AnyRouter): DescribedProcedure[] {
  const procedures = router['~def'].procedures as ReadonlyMap<string, AnyProcedure>;
  return [...procedures.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, procedure]) => {
      const schema = procedure['~def'].inputSchema;
      const item = isStreamSchema(schema) ? schema['~item'] : schema;
      return { path, kind: procedure['~def'].kind, input: item ? jsonSchemaOf(item, 'input', 'input').schema : null, inputStream: item !== schema };
    });
}

/**
 * The devtools page of a server: lists procedures with their input schemas, runs calls and
 * subscriptions over its own WebSocket (over HTTP on the Fetch handler), and shows connections
 * and recent errors. Only created when the server's `devtools` option is set.
 */
export function createDevtools(options: DevtoolsOptions, source: DevtoolsSource): Devtools {
  if (typeof options.token !== 'string' || options.token.length < MIN_DEVTOOLS_TOKEN_LENGTH) {
    throw new Error(`devtools.token must be a string of at least ${MIN_DEVTOOLS_TOKEN_LENGTH} characters`);
  }
  const path = options.path ?? DEFAULT_DEVTOOLS_PATH;
  if (!path.startsWith('/') || path.endsWith('/')) throw new Error(`devtools.path must start with "/" and not end with one, got "${path}"`);
  const tokenDigest = digest(options.token);
  // A rejection is handled where it is awaited; this keeps it from being reported unhandled before then.
  tokenDigest.catch(() => {});
  const errors = new ErrorRing<DevtoolsError>(options.maxErrors ?? DEFAULT_DEVTOOLS_MAX_ERRORS);
  const connections = new WeakMap<ServerPeer, { address: string; since: string }>();
  let procedures: ReturnType<typeof describeProcedures> | undefined;

  // Both sides hashed to the same length, so the comparison takes the same time whatever matches.
  const tokenMatches = async (given: string | null | undefined) => typeof given === 'string' && sameBytes(await digest(given), await tokenDigest);
  const owns = (url: URL | undefined) => url !== undefined && (url.pathname === path || url.pathname.startsWith(`${path}/`));

  const state = () => ({
    ...source.endpoint(),
    procedures: (procedures ??= describeProcedures(source.router)),
    connections: [...source.peers()].map((peer) => ({ id: peer.id, ...connections.get(peer), ...peer.stats })),
    errors: errors.newestFirst(),
  });

  async function answer(request: DevtoolsRequest): Promise<DevtoolsAnswer> {
    const url = pathnameOf(request.url);
    if (!url || !owns(url)) return reply(404, 'text/plain; charset=utf-8', 'not found\n');
    const page = url.pathname === path;
    const api = url.pathname === `${path}/state`;
    if (!options.allowRemote && !LOOPBACK.test(request.address ?? '')) {
      return reply(403, 'text/plain; charset=utf-8', 'duplex devtools answer loopback addresses only\n');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'text/plain; charset=utf-8', 'GET only\n', { Allow: 'GET, HEAD' });
    if (!page && !api) return reply(404, 'text/plain; charset=utf-8', 'not found\n');
    const bearer = /^Bearer (.+)$/.exec(request.authorization ?? '')?.[1];
    if (!(await tokenMatches(page ? url.searchParams.get('token') : bearer))) {
      return reply(401, 'text/plain; charset=utf-8', 'duplex devtools: missing or wrong token\n');
    }
    if (page) return reply(200, 'text/html; charset=utf-8', DEVTOOLS_PAGE, { 'Content-Security-Policy': await devtoolsPageCsp() });
    return reply(200, 'application/json; charset=utf-8', JSON.stringify(state()));
  }

  return {
    path,
    answer,
    handle(request, response) {
      if (!owns(pathnameOf(request.url ?? '/'))) return false;
      answer({ method: request.method ?? 'GET', url: request.url ?? '/', authorization: request.headers.authorization, address: request.socket.remoteAddress }).then(
        (answered) => response.writeHead(answered.status, answered.headers).end(answered.body),
        () => response.writeHead(500).end(),
      );
      return true;
    },
    handleFetch(request, address) {
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket' || !owns(pathnameOf(request.url))) return undefined;
      return answer({ method: request.method, url: request.url, authorization: request.headers.get('authorization'), address }).then(
        (answered) => new Response(request.method === 'HEAD' ? null : answered.body, { status: answered.status, headers: answered.headers }),
      );
    },
    tapErrors(onError) {
      return (event) => {
        errors.push({
          at: new Date(source.now()).toISOString(),
          code: event.error.code,
          message: event.error.message,
          path: event.path,
          kind: event.kind,
          connectionId: event.connectionId,
        });
        onError?.(event);
      };
    },
    opened(peer, address) {
      connections.set(peer, { address, since: new Date(source.now()).toISOString() });
    },
  };
}

/**
 * The devtools of a server whose options may ask for them, and the options its peers get: with
 * `devtools` set, an `onError` that records each error before calling the app's own. Without it,
 * nothing is created and the options pass through untouched.
 */
export function withDevtools<TOptions extends { router: AnyRouter; devtools?: DevtoolsOptions | undefined; onError?: ((event: ErrorEvent) => void) | undefined }>(
  options: TOptions,
  source: Omit<DevtoolsSource, 'router'>,
): { devtools: Devtools | undefined; options: TOptions } {
  if (!options.devtools) return { devtools: undefined, options };
  const devtools = createDevtools(options.devtools, { router: options.router, ...source });
  return { devtools, options: { ...options, onError: devtools.tapErrors(options.onError) } };
}
