import type { LargePayload, SmallPayload } from './payloads.js';

/** A running server of one system, driven by the bench server process. */
export interface SystemServer {
  port: number;
  /** Sends `count` events to every live subscriber of the `events` subscription. */
  publish(count: number): void;
  /** Live subscribers, so the orchestrator can wait until every subscription is set up. */
  subscribers(): number;
  close(): Promise<void>;
}

/** One client connection of one system, driven by the load generator. */
export interface SystemClient {
  echo(input: SmallPayload): Promise<unknown>;
  echoLarge(input: LargePayload): Promise<unknown>;
  /** Starts the `events` subscription; returns its stop function. */
  subscribe(onData: (value: unknown) => void): () => void;
  close(): Promise<void>;
}

/** One competitor: how to serve the bench router and how to connect to it. */
export interface BenchSystem {
  /** Stable id used on the command line and in results JSON. */
  id: string;
  /** Label in the tables. */
  label: string;
  startServer(opts: { host: string }): Promise<SystemServer>;
  /** Connects to a server on 127.0.0.1; may resolve before the socket is open (the first call waits). */
  connect(opts: { host: string; port: number }): Promise<SystemClient>;
}
