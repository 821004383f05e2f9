import type { BenchSystem } from '../system.js';
import { duplexBase, duplexJson, duplexMutation, duplexMutationNoDedupe, duplexNoDedupe, duplexNoWindow, duplexOtel, duplexSuperjson } from './duplex.js';
import { duplexProxied } from './duplex-proxied.js';
import { duplexBun, duplexDeno } from './duplex-runtimes.js';
import { duplexHttp, trpcHttp } from './http.js';
import { rawWs } from './raw-ws.js';
import { rawWsTyped } from './raw-ws-typed.js';
import { socketIo } from './socket-io.js';
import { trpc } from './trpc.js';

/** Every system, the floor first (ratios are taken against `raw-ws`). */
export const systems: readonly BenchSystem[] = [rawWs, rawWsTyped, trpc, socketIo, duplexSuperjson, duplexJson, duplexBun, duplexDeno, trpcHttp, duplexHttp, duplexProxied];

/** Systems run only when named in `--systems` (variants for A/B measurements, e.g. `duplex-nowindow`). */
export const optionalSystems: readonly BenchSystem[] = [duplexNoWindow, duplexNoDedupe, duplexMutation, duplexMutationNoDedupe, duplexOtel, duplexBase];

export function systemById(id: string): BenchSystem {
  const system = systems.find((s) => s.id === id) ?? optionalSystems.find((s) => s.id === id);
  if (!system) throw new Error(`unknown system ${id}; known: ${systems.map((s) => s.id).join(', ')}`);
  return system;
}
