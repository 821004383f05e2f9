import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipUnless } from '@duplex/test-utils';
import { connect, type NatsConnection } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { event, type ContractEvents } from '../../test/contract.js';
import { createNatsPubSub } from './nats-pub-sub.js';

function hasNatsServer(): boolean {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A private nats-server (JetStream, file storage) this test may stop and restart. */
function startServer(port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server is ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${String(code)}: ${output}`)));
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Resolves at the connection's next `reconnect` status. */
async function nextReconnect(nc: NatsConnection): Promise<void> {
  for await (const status of nc.status()) if (status.type === 'reconnect') return;
}

const noNatsServer = hasNatsServer() ? undefined : 'NATS restart test: no nats-server on PATH, install it from https://github.com/nats-io/nats-server/releases';

describe('nats adapter across a NATS server restart', skipUnless(noNatsServer), () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'duplex-nats-'));
  let server: ChildProcess | undefined;
  afterAll(async () => {
    if (server) await stopServer(server);
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('jetstream: a live subscription carries on after the restart; core: it ends with SERVICE_UNAVAILABLE', async () => {
    const port = await freePort();
    server = await startServer(port, storeDir);
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnectTimeWait: 20, maxReconnectAttempts: -1 });
    const durable = createNatsPubSub<ContractEvents>({ connection: nc, prefix: 'restart', stream: 'RESTART' });
    const atMostOnce = createNatsPubSub<ContractEvents>({ connection: nc, prefix: 'restartcore', mode: 'core' });

    const signal = new AbortController().signal;
    const live = durable.subscribe('t', { signal });
    const gone = atMostOnce.subscribe('t', { signal });
    await Promise.all([live.ready, gone.ready]);
    const liveEvents = live[Symbol.asyncIterator]();
    const first = liveEvents.next();
    await durable.publish('t', event(1));
    expect((await first).value?.data.n).toBe(1);
    const goneFailed = expect(gone[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });

    const reconnected = nextReconnect(nc);
    await stopServer(server);
    server = await startServer(port, storeDir);
    await reconnected;
    await goneFailed;

    const second = liveEvents.next();
    await durable.publish('t', event(2));
    expect((await second).value?.data.n).toBe(2);
    expect(durable.subscriberCount()).toBe(1);

    await Promise.all([durable.close(), atMostOnce.close()]);
    await nc.close();
  });
});
