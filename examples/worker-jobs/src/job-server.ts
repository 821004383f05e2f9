import { createWsServer, type WsServer } from '@duplex/server';
import { JobRunner } from './jobs.js';
import { jobRouter } from './router.js';

/** A running job server. */
export interface JobServer extends AsyncDisposable {
  url: string;
  server: WsServer;
  close(): Promise<void>;
}

/** Starts the job server on its own port (0 = any free port). */
export async function startJobServer(opts: { port?: number; host?: string } = {}): Promise<JobServer> {
  const jobs = new JobRunner();
  const server = createWsServer({ router: jobRouter, createContext: () => ({ jobs }) });
  const { port, host } = await server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  const close = async () => {
    jobs.dispose();
    await server.close();
  };
  return { url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`, server, close, [Symbol.asyncDispose]: close };
}
