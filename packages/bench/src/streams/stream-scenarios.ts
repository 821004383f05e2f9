// The client side of each stream scenario (bench:streams), run in the bench's client process
// (stream-client.ts) or in-process by the bench's tests.
import { createClient, type WebSocketConstructor } from '@duplex/client';
import { binary } from '@duplex/client/binary';
import { WebSocket } from 'ws';
import { HeapWatch } from './heap-watch.js';
import type { StreamRouter } from './stream-router.js';

/** Requests the streams bench sends its client process. */
export type StreamClientRequest =
  | { op: 'upload'; port: number; path: 'uploadFast' | 'uploadSlow'; mib: number; chunkKiB: number; watchMemory: boolean }
  | { op: 'upload-raw'; port: number; mib: number; chunkKiB: number }
  | { op: 'echo'; port: number; count: number }
  | { op: 'stalled'; port: number; read: number };

function connect(port: number) {
  return createClient<StreamRouter>({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as WebSocketConstructor, binary });
}

/** `mib` MiB in fresh chunks of `chunkKiB` KiB, as a file reader would hand them out. */
async function* chunks(mib: number, chunkKiB: number): AsyncGenerator<Uint8Array<ArrayBuffer>> {
  const size = chunkKiB * 1024;
  for (let sent = 0; sent < mib * 1024 * 1024; sent += size) yield new Uint8Array(size).fill(sent & 0xff);
}

/** An upload; with `watch`, this side's kept memory is sampled (forced GCs: not for throughput runs). */
export async function upload(port: number, path: 'uploadFast' | 'uploadSlow', mib: number, chunkKiB: number, watchMemory: boolean) {
  const client = connect(port);
  await client.stats.query();
  const watch = watchMemory ? new HeapWatch() : undefined;
  watch?.start();
  const start = performance.now();
  const bytes = await client[path].mutate(chunks(mib, chunkKiB));
  const seconds = (performance.now() - start) / 1000;
  const peakMiB = watch?.stop() ?? 0;
  await client.close();
  if (bytes !== mib * 1024 * 1024) throw new Error(`uploaded ${bytes} bytes, expected ${mib * 1024 * 1024}`);
  return { seconds, mibPerSec: mib / seconds, clientPeakMiB: peakMiB };
}

/** The same bytes through a bare `ws` socket: binary frames, paused while more than 1 MiB is buffered. */
export async function uploadRaw(port: number, mib: number, chunkKiB: number) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const done = new Promise((resolve) => socket.once('message', resolve));
  const total = mib * 1024 * 1024;
  const start = performance.now();
  socket.send(String(total));
  for await (const chunk of chunks(mib, chunkKiB)) {
    if (socket.bufferedAmount > 1024 * 1024) await new Promise((resolve) => socket.send(chunk, resolve));
    else socket.send(chunk);
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  socket.close();
  return { seconds, mibPerSec: mib / seconds };
}

export async function echo(port: number, count: number) {
  const client = connect(port);
  await client.stats.query();
  async function* messages() {
    for (let i = 0; i < count; i++) yield `m${i}`;
  }
  const start = performance.now();
  let received = 0;
  let inOrder = true;
  for await (const text of await client.echo.mutate(messages())) {
    if (text !== `m${received}`) inOrder = false;
    received++;
  }
  const seconds = (performance.now() - start) / 1000;
  await client.close();
  return { seconds, messagesPerSec: count / seconds, received, inOrder };
}

export async function stalled(port: number, read: number) {
  const client = connect(port);
  await client.reset.mutate();
  const iterator = (await client.endless.query())[Symbol.asyncIterator]();
  for (let i = 0; i < read; i++) await iterator.next();
  // Round trips while the loop stands still: a producer that ignored credit would run on meanwhile.
  for (let i = 0; i < 50; i++) await client.stats.query();
  const { pulled } = await client.stats.query();
  await iterator.return?.();
  await client.close();
  return { read, pulled, beyond: pulled - read };
}

