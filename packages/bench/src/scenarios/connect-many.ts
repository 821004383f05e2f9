import { smallPayload } from '../payloads.js';
import type { BenchSystem, SystemClient } from '../system.js';

/**
 * Opens `count` connections, `concurrency` at a time, each finishing one call so the server
 * holds every connection's full state (context, peer) before anything is measured.
 */
export async function connectMany(opts: {
  system: BenchSystem;
  host: string;
  port: number;
  count: number;
  concurrency?: number;
}): Promise<SystemClient[]> {
  const clients: SystemClient[] = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (next < opts.count) {
      next++;
      const client = await opts.system.connect({ host: opts.host, port: opts.port });
      await client.echo(smallPayload);
      clients.push(client);
    }
  }
  const lanes = Array.from({ length: Math.min(opts.concurrency ?? 100, opts.count) }, () => lane());
  await Promise.all(lanes);
  return clients;
}

/** Closes every client, `concurrency` at a time. */
export async function closeAll(clients: readonly SystemClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.close()));
}
