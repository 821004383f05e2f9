import { DEFAULT_STREAM_WINDOW } from '@duplex/server';
import { median } from '../stats.js';
import { CLIENT_CORE, SERVER_CORE, spawnWorker, stopWorker } from '../workers.js';
import type { StreamClientRequest } from './stream-scenarios.js';

/** Sizes of one streams bench run. */
export interface StreamsConfig {
  /** MiB uploaded per upload scenario (the target is stated for 200). */
  mib: number;
  chunkKiB: number;
  /** Messages through the two-way echo. */
  echoCount: number;
  /** Rounds of the fast upload, each a raw `ws` upload and a duplex one back to back (order alternating). */
  rounds: number;
}

export const FULL_STREAMS: StreamsConfig = { mib: 200, chunkKiB: 64, echoCount: 10_000, rounds: 5 };
export const QUICK_STREAMS: StreamsConfig = { mib: 32, chunkKiB: 64, echoCount: 2_000, rounds: 7 };

/** What one run measured. */
export interface StreamsResult {
  config: StreamsConfig;
  /** Median over the rounds. */
  uploadFast: { mibPerSec: number };
  uploadRaw: { mibPerSec: number };
  /** duplex upload throughput / raw `ws` binary frames, the median of the rounds' ratios (target ≥ 0.9). */
  uploadRatio: number;
  /** Each round's ratio, in run order. */
  roundRatios: number[];
  /** Slow handler: peak growth of kept memory (after GC) on each side (target < 32 MiB). */
  uploadSlow: { mibPerSec: number; clientPeakMiB: number; serverPeakMiB: number };
  echo: { messagesPerSec: number; received: number; inOrder: boolean };
  stalled: { read: number; pulled: number; beyond: number; window: number };
}

/**
 * Runs the stream scenarios: server and client each in their own process. Raw `ws` gets a server
 * and a client process of its own, as every system does in the main bench: sharing processes
 * with duplex made each slow the other (measured: duplex alone 150–210 MiB/s, right after a raw
 * upload in the same processes 100–120, on the same machine within minutes).
 */
export async function runStreams(config: StreamsConfig, log: (line: string) => void = () => {}): Promise<StreamsResult> {
  const server = spawnWorker('./streams/stream-server.ts', { core: SERVER_CORE });
  const client = spawnWorker('./streams/stream-client.ts', { core: CLIENT_CORE });
  const rawServer = spawnWorker('./streams/stream-server.ts', { core: SERVER_CORE });
  const rawClient = spawnWorker('./streams/stream-client.ts', { core: CLIENT_CORE });
  try {
    const { duplexPort } = await server.ipc.request<{ duplexPort: number }>({ op: 'start' });
    const { rawPort } = await rawServer.ipc.request<{ rawPort: number }>({ op: 'start' });
    const ask = <TResult>(req: StreamClientRequest) => client.ipc.request<TResult>(req);
    /** An upload with both sides' kept memory sampled. */
    const measured = async (req: StreamClientRequest) => {
      await server.ipc.request({ op: 'watch' });
      const result = await ask<{ mibPerSec: number; clientPeakMiB: number }>(req);
      const serverPeakMiB = await server.ipc.request<number>({ op: 'peak' });
      return { mibPerSec: result.mibPerSec, clientPeakMiB: result.clientPeakMiB, serverPeakMiB };
    };
    const { mib, chunkKiB } = config;
    // Rounds of one raw and one duplex upload back to back, the order alternating: each round's
    // ratio compares two runs under the same load, and the median ratio is the figure (a shared
    // machine drifts by more than the difference sought).
    const raws: number[] = [];
    const fasts: number[] = [];
    const roundRatios: number[] = [];
    const runRaw = async () =>
      (await rawClient.ipc.request<{ mibPerSec: number }>({ op: 'upload-raw', port: rawPort, mib, chunkKiB } satisfies StreamClientRequest)).mibPerSec;
    const runDuplex = async () =>
      (await ask<{ mibPerSec: number }>({ op: 'upload', port: duplexPort, path: 'uploadFast', mib, chunkKiB, watchMemory: false })).mibPerSec;
    for (let round = 0; round < config.rounds; round++) {
      let raw: number;
      let fast: number;
      if (round % 2 === 0) {
        raw = await runRaw();
        fast = await runDuplex();
      } else {
        fast = await runDuplex();
        raw = await runRaw();
      }
      raws.push(raw);
      fasts.push(fast);
      roundRatios.push(fast / raw);
      log(`  round ${round + 1}: raw ws ${raw.toFixed(0)} MiB/s, duplex ${fast.toFixed(0)} MiB/s (${(fast / raw).toFixed(2)}×)`);
    }
    const uploadFast = { mibPerSec: median(fasts) };
    const uploadRaw = { mibPerSec: median(raws) };
    const uploadSlow = await measured({ op: 'upload', port: duplexPort, path: 'uploadSlow', mib, chunkKiB, watchMemory: true });
    log(`  duplex upload (slow handler): peak growth client ${uploadSlow.clientPeakMiB.toFixed(1)} MiB, server ${uploadSlow.serverPeakMiB.toFixed(1)} MiB`);
    const echo = await ask<StreamsResult['echo']>({ op: 'echo', port: duplexPort, count: config.echoCount });
    log(`  two-way echo: ${echo.received} messages, in order: ${echo.inOrder}`);
    const stalled = await ask<Omit<StreamsResult['stalled'], 'window'>>({ op: 'stalled', port: duplexPort, read: 100 });
    return {
      config,
      uploadFast,
      uploadRaw,
      uploadRatio: median(roundRatios),
      roundRatios,
      uploadSlow,
      echo,
      stalled: { ...stalled, window: DEFAULT_STREAM_WINDOW },
    };
  } finally {
    await Promise.all([server, rawServer].map((worker) => worker.ipc.request({ op: 'close' }).catch(() => {})));
    await Promise.all([server, client, rawServer, rawClient].map((worker) => stopWorker(worker)));
  }
}

/** The result as a Markdown table, with each target's verdict. */
export function formatStreams(result: StreamsResult): string {
  const { config, uploadFast, uploadRaw, uploadRatio, roundRatios, uploadSlow, echo, stalled } = result;
  const ok = (pass: boolean) => (pass ? 'met' : '**not met**');
  return [
    `| scenario | measured | target |`,
    `|---|---|---|`,
    `| upload ${config.mib} MiB, fast handler, ${roundRatios.length} rounds (medians) | ${uploadFast.mibPerSec.toFixed(0)} MiB/s vs raw ws ${uploadRaw.mibPerSec.toFixed(0)} MiB/s; median ratio **${uploadRatio.toFixed(2)}×** (rounds: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}) | ≥ 0.9× raw ws: ${ok(uploadRatio >= 0.9)} |`,
    `| upload ${config.mib} MiB, slow handler (1 ms per chunk): peak kept memory growth | client ${uploadSlow.clientPeakMiB.toFixed(1)} MiB, server ${uploadSlow.serverPeakMiB.toFixed(1)} MiB | < 32 MiB each: ${ok(uploadSlow.clientPeakMiB < 32 && uploadSlow.serverPeakMiB < 32)} |`,
    `| two-way echo | ${echo.received} of ${config.echoCount} in order: ${echo.inOrder} (${echo.messagesPerSec.toFixed(0)} msg/s) | all, in order: ${ok(echo.inOrder && echo.received === config.echoCount)} |`,
    `| stalled reader of a streamed result | read ${stalled.read}, producer pulled ${stalled.pulled} (${stalled.beyond} beyond) | ≤ one window (${stalled.window}) beyond: ${ok(stalled.beyond <= stalled.window)} |`,
  ].join('\n');
}
