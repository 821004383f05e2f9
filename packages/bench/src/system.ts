import type { ScenarioId } from './config.js';
import type { EventShape, LargePayload, RichPayload, SmallPayload } from './payloads.js';

/** A running server of one system, driven by the bench server process. */
export interface SystemServer {
  port: number;
  /** Sends `count` events of `shape` to every live subscriber of that shape's subscription. */
  publish(count: number, shape?: EventShape): void;
  /** Live subscribers (of either shape), so the orchestrator can wait until every subscription is set up. */
  subscribers(): number;
  close(): Promise<void>;
}

/** One client connection of one system, driven by the load generator. */
export interface SystemClient {
  echo(input: SmallPayload): Promise<unknown>;
  echoLarge(input: LargePayload): Promise<unknown>;
  /** The `echoRich` mutation; present on systems whose wire carries `Date` and `Map`. */
  echoRich?(input: RichPayload): Promise<unknown>;
  /** Starts the `events` subscription (`datedEvents` for `'dated'`); returns its stop function. */
  subscribe(onData: (value: unknown) => void, shape?: EventShape): () => void;
  close(): Promise<void>;
}

/** A runtime the bench can start a server process under (Bun and Deno from the npm packages `bun` and `deno`). */
export type ServerRuntime = 'node' | 'bun' | 'deno';

/** One competitor: how to serve the bench router and how to connect to it. */
export interface BenchSystem {
  /** Stable id used on the command line and in results JSON. */
  id: string;
  /** Label in the tables. */
  label: string;
  /** True when `Date`, `Map` and the rest of superjson's types survive its wire (scenarios i and j). */
  richTypes: boolean;
  /** The only scenarios this system takes part in. @default every one but (k) */
  scenarios?: readonly ScenarioId[];
  /** The runtime the server process runs on (the load generator is always Node). @default 'node' */
  runtime?: ServerRuntime;
  startServer(opts: { host: string }): Promise<SystemServer>;
  /** Connects to a server on 127.0.0.1; may resolve before the socket is open (the first call waits). */
  connect(opts: { host: string; port: number }): Promise<SystemClient>;
}
