/**
 * Bench load generator process: connects to one system's server on 127.0.0.1 and, on the
 * orchestrator's requests, prepares a scenario (connect, subscribe, warm up), measures one
 * repeat at a time, and releases it. One repeat at a time lets the orchestrator interleave
 * systems, so background load on the machine hits every system alike.
 */
import type { BenchConfig } from './config.js';
import { Ipc } from './ipc.js';
import { type EventShape, largePayload, richPayload, smallPayload } from './payloads.js';
import { runClosedLoop } from './scenarios/closed-loop.js';
import { closeAll, connectMany } from './scenarios/connect-many.js';
import { DeliveryCounter, fanOutRound, subscribeAll } from './scenarios/fan-out.js';
import { percentile } from './stats.js';
import type { BenchSystem, SystemClient } from './system.js';
import { systemById } from './systems/index.js';

/** Scenarios measured in repeats (all but the idle-memory one). */
export type RepeatedScenario = 'a' | 'b' | 'c' | 'd' | 'e' | 'g' | 'i' | 'j' | 'k';

/** Requests the orchestrator sends to a load generator. */
export type ClientRequest =
  | { op: 'prepare'; scenario: RepeatedScenario; system: string; host: string; port: number; config: BenchConfig }
  | { op: 'measure' }
  | { op: 'release' }
  | { op: 'open-idle'; system: string; host: string; port: number; count: number }
  | { op: 'close-idle' };

/** One measured repeat; which fields are set depends on the scenario. */
export interface RunSample {
  rate?: number;
  p50Us?: number;
  p99Us?: number;
  /** Operations completed (calls, deliveries or connects), for per-operation CPU time. */
  ops: number;
  /** CPU time (user + system) of the load generator per operation, in µs. */
  clientCpuUs?: number;
  /** CPU time of the server process per operation, in µs (filled in by the orchestrator). */
  serverCpuUs?: number;
}

interface Session {
  measure(): Promise<RunSample>;
  release(): Promise<void>;
}

const ipc = new Ipc(process);
let session: Session | undefined;
let idle: SystemClient[] = [];

const shapes = {
  a: { sockets: 1, inFlight: 1, payload: 'small' },
  b: { sockets: 1, inFlight: 64, payload: 'small' },
  c: { sockets: 100, inFlight: 8, payload: 'small' },
  e: { sockets: 1, inFlight: 8, payload: 'large' },
  i: { sockets: 1, inFlight: 64, payload: 'rich' },
  k: { sockets: 1, inFlight: 100, payload: 'small' },
} as const;

const calls = {
  small: (client: SystemClient) => client.echo(smallPayload),
  large: (client: SystemClient) => client.echoLarge(largePayload),
  rich: (client: SystemClient) => {
    if (!client.echoRich) throw new Error('this system does not carry Date and Map');
    return client.echoRich(richPayload);
  },
};

async function prepareThroughput(req: Extract<ClientRequest, { op: 'prepare' }>, scenario: keyof typeof shapes): Promise<Session> {
  const shape = shapes[scenario];
  const system = systemById(req.system);
  const clients = await connectMany({ system, host: req.host, port: req.port, count: shape.sockets });
  const call = calls[shape.payload];
  const recordLatency = scenario === 'a';
  await runClosedLoop({ clients, inFlight: shape.inFlight, durationMs: req.config.warmupMs, call });
  return {
    async measure() {
      const run = await runClosedLoop({ clients, inFlight: shape.inFlight, durationMs: req.config.durationMs, call, recordLatency });
      const sample: RunSample = { rate: (run.calls / run.elapsedMs) * 1000, ops: run.calls };
      if (recordLatency) {
        sample.p50Us = percentile(run.latenciesUs, 50);
        sample.p99Us = percentile(run.latenciesUs, 99);
      }
      return sample;
    },
    release: () => closeAll(clients),
  };
}

async function prepareFanOut(req: Extract<ClientRequest, { op: 'prepare' }>, shape: EventShape): Promise<Session> {
  const { subscribers, events, warmupEvents, timeoutMs } = req.config.fanOut;
  const system = systemById(req.system);
  const clients = await connectMany({ system, host: req.host, port: req.port, count: subscribers });
  const counter = new DeliveryCounter();
  const stops = subscribeAll(clients, counter, shape);
  const publish = (count: number) => ipc.request<void>({ op: 'publish', count, shape });
  await ipc.request({ op: 'await-subscribers', count: subscribers });
  await fanOutRound({ counter, subscribers, events: warmupEvents, publish, timeoutMs });
  return {
    async measure() {
      const round = await fanOutRound({ counter, subscribers, events, publish, timeoutMs });
      return { rate: (round.deliveries / round.elapsedMs) * 1000, ops: round.deliveries };
    },
    async release() {
      for (const stop of stops) stop();
      await closeAll(clients);
    },
  };
}

async function connectOnce(system: BenchSystem, host: string, port: number): Promise<number> {
  const t0 = performance.now();
  const client = await system.connect({ host, port });
  await client.echo(smallPayload);
  const elapsed = performance.now() - t0;
  await client.close();
  return elapsed * 1000;
}

async function prepareConnect(req: Extract<ClientRequest, { op: 'prepare' }>): Promise<Session> {
  const system = systemById(req.system);
  for (let i = 0; i < 10; i++) await connectOnce(system, req.host, req.port);
  return {
    async measure() {
      const latencies: number[] = [];
      for (let i = 0; i < req.config.connectSamples; i++) latencies.push(await connectOnce(system, req.host, req.port));
      return { p50Us: percentile(latencies, 50), p99Us: percentile(latencies, 99), ops: latencies.length };
    },
    release: async () => {},
  };
}

ipc.handle(async (body) => {
  const req = body as ClientRequest;
  switch (req.op) {
    case 'prepare':
      await session?.release();
      session = undefined;
      session =
        req.scenario === 'd' || req.scenario === 'j'
          ? await prepareFanOut(req, req.scenario === 'j' ? 'dated' : 'plain')
          : req.scenario === 'g'
            ? await prepareConnect(req)
            : await prepareThroughput(req, req.scenario);
      return null;
    case 'measure': {
      if (!session) throw new Error('measure before prepare');
      // CPU time is what a busy shared machine distorts least: wall-clock rates drop when other
      // processes take the core, CPU time per operation mostly does not.
      const cpu = process.cpuUsage();
      const sample = await session.measure();
      const used = process.cpuUsage(cpu);
      if (sample.ops > 0) sample.clientCpuUs = (used.user + used.system) / sample.ops;
      return sample;
    }
    case 'release': {
      const current = session;
      session = undefined;
      await current?.release();
      return null;
    }
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
