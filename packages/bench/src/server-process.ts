/**
 * Bench server process (on Node, Bun or Deno, see workers.ts): serves one system on 127.0.0.1 and answers the orchestrator's
 * requests (publish events, count subscribers, measure memory after gc).
 */
import { Ipc } from './ipc.js';
import type { EventShape } from './payloads.js';
import type { SystemServer } from './system.js';
import { systemById } from './systems/index.js';

/** Requests the orchestrator sends to a server process. */
export type ServerRequest =
  | { op: 'start'; system: string; host: string }
  | { op: 'publish'; count: number; shape: EventShape }
  | { op: 'subscribers' }
  | { op: 'memory' }
  | { op: 'cpu' }
  | { op: 'close' };

/** Heap and RSS after a full gc. */
export interface MemorySample {
  heapUsed: number;
  rss: number;
}

const ipc = new Ipc(process);
let server: SystemServer | undefined;

function collect(): MemorySample {
  // Node and Deno get `gc` from --expose-gc; Bun has its own.
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  const gc = (globalThis as { gc?: () => void }).gc ?? (bun ? () => bun.gc(true) : undefined);
  if (!gc) throw new Error('run the server process with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
}

ipc.handle(async (body) => {
  const req = body as ServerRequest;
  switch (req.op) {
    case 'start':
      server = await systemById(req.system).startServer({ host: req.host });
      return { port: server.port };
    case 'publish':
      server?.publish(req.count, req.shape);
      return null;
    case 'subscribers':
      return server?.subscribers() ?? 0;
    case 'memory':
      return collect();
    case 'cpu': {
      const usage = process.cpuUsage();
      return usage.user + usage.system;
    }
    case 'close':
      await server?.close();
      server = undefined;
      return null;
  }
});
process.on('disconnect', () => process.exit(0));
