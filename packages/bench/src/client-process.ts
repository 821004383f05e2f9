/**
 * Bench load generator process: connects to a server process's port on 127.0.0.1 and runs one
 * scenario per request from the orchestrator.
 */
import type { BenchConfig } from './config.js';
import { Ipc } from './ipc.js';
import { largePayload, smallPayload } from './payloads.js';
import { runClosedLoop } from './scenarios/closed-loop.js';
import { closeAll, connectMany } from './scenarios/connect-many.js';
import { DeliveryCounter, fanOutRound, subscribeAll } from './scenarios/fan-out.js';
import { percentile } from './stats.js';
import type { BenchSystem, SystemClient } from './system.js';
import { systemById } from './systems/index.js';

/** Requests the orchestrator sends to a load generator. */
export type ClientRequest =
  | { op: 'throughput'; scenario: 'a' | 'b' | 'c' | 'e'; system: string; host: string; port: number; config: BenchConfig }
  | { op: 'fan-out'; system: string; host: string; port: number; config: BenchConfig }
  | { op: 'connect'; system: string; host: string; port: number; config: BenchConfig }
  | { op: 'open-idle'; system: string; host: string; port: number; count: number }
  | { op: 'close-idle' };

/** One measured repeat; which fields are set depends on the scenario. */
export interface RunSample {
  rate?: number;
  p50Us?: number;
  p99Us?: number;
}

const ipc = new Ipc(process);
let idle: SystemClient[] = [];

const shapes = {
  a: { sockets: 1, inFlight: 1, large: false },
  b: { sockets: 1, inFlight: 64, large: false },
  c: { sockets: 100, inFlight: 8, large: false },
  e: { sockets: 1, inFlight: 8, large: true },
} as const;

async function throughput(req: Extract<ClientRequest, { op: 'throughput' }>): Promise<RunSample[]> {
  const shape = shapes[req.scenario];
  const system = systemById(req.system);
  const clients = await connectMany({ system, host: req.host, port: req.port, count: shape.sockets });
  const call = shape.large
    ? (client: SystemClient) => client.echoLarge(largePayload)
    : (client: SystemClient) => client.echo(smallPayload);
  const recordLatency = req.scenario === 'a';
  try {
    await runClosedLoop({ clients, inFlight: shape.inFlight, durationMs: req.config.warmupMs, call });
    const samples: RunSample[] = [];
    for (let i = 0; i < req.config.repeats; i++) {
      const run = await runClosedLoop({ clients, inFlight: shape.inFlight, durationMs: req.config.durationMs, call, recordLatency });
      const sample: RunSample = { rate: (run.calls / run.elapsedMs) * 1000 };
      if (recordLatency) {
        sample.p50Us = percentile(run.latenciesUs, 50);
        sample.p99Us = percentile(run.latenciesUs, 99);
      }
      samples.push(sample);
    }
    return samples;
  } finally {
    await closeAll(clients);
  }
}

async function fanOut(req: Extract<ClientRequest, { op: 'fan-out' }>): Promise<RunSample[]> {
  const { subscribers, events, warmupEvents, timeoutMs } = req.config.fanOut;
  const system = systemById(req.system);
  const clients = await connectMany({ system, host: req.host, port: req.port, count: subscribers });
  const counter = new DeliveryCounter();
  const stops = subscribeAll(clients, counter);
  try {
    await ipc.request({ op: 'await-subscribers', count: subscribers });
    const publish = (count: number) => ipc.request<void>({ op: 'publish', count });
    await fanOutRound({ counter, subscribers, events: warmupEvents, publish, timeoutMs });
    const samples: RunSample[] = [];
    for (let i = 0; i < req.config.repeats; i++) {
      const round = await fanOutRound({ counter, subscribers, events, publish, timeoutMs });
      samples.push({ rate: (round.deliveries / round.elapsedMs) * 1000 });
    }
    return samples;
  } finally {
    for (const stop of stops) stop();
    await closeAll(clients);
  }
}

async function connectOnce(system: BenchSystem, host: string, port: number): Promise<number> {
  const t0 = performance.now();
  const client = await system.connect({ host, port });
  await client.echo(smallPayload);
  const elapsed = performance.now() - t0;
  await client.close();
  return elapsed * 1000;
}

async function connectLatency(req: Extract<ClientRequest, { op: 'connect' }>): Promise<RunSample[]> {
  const system = systemById(req.system);
  for (let i = 0; i < 10; i++) await connectOnce(system, req.host, req.port);
  const samples: RunSample[] = [];
  for (let r = 0; r < req.config.repeats; r++) {
    const latencies: number[] = [];
    for (let i = 0; i < req.config.connectSamples; i++) latencies.push(await connectOnce(system, req.host, req.port));
    samples.push({ rate: req.config.connectSamples, p50Us: percentile(latencies, 50), p99Us: percentile(latencies, 99) });
  }
  return samples;
}

ipc.handle(async (body) => {
  const req = body as ClientRequest;
  switch (req.op) {
    case 'throughput':
      return throughput(req);
    case 'fan-out':
      return fanOut(req);
    case 'connect':
      return connectLatency(req);
    case 'open-idle':
      idle = await connectMany({ system: systemById(req.system), host: req.host, port: req.port, count: req.count, concurrency: 200 });
      return idle.length;
    case 'close-idle': {
      const clients = idle;
      idle = [];
      await closeAll(clients);
      return null;
    }
  }
});
process.on('disconnect', () => process.exit(0));
