import { WebSocket, WebSocketServer } from 'ws';
import { EventHub } from '../event-hub.js';
import { type EventShape, makeDatedEvent, makeEvent } from '../payloads.js';
import type { SystemClient, SystemServer } from '../system.js';

/**
 * How a raw-ws variant turns payloads into JSON-safe values. The envelope `{ id, m, p }` /
 * `{ id, r }` / `{ id, d }` is hand-written JSON around the encoded payload.
 */
export interface RawCodec {
  encode(value: unknown): unknown;
  decode(payload: unknown): unknown;
  /** Server-side input validation per method (identity for the untyped floor). */
  validate(method: string, input: unknown): unknown;
}

interface RawRequest {
  id: number;
  m: string;
  p?: unknown;
}

/** A `ws` server speaking the hand-written protocol. */
export async function startRawServer(codec: RawCodec, host: string): Promise<SystemServer> {
  const hubs: Record<EventShape, EventHub<Buffer>> = { plain: new EventHub(), dated: new EventHub() };
  const wss = new WebSocketServer({ host, port: 0, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('error', () => {});
    const subs = new Map<number, () => void>();
    socket.on('message', (data) => {
      const req = JSON.parse(data.toString()) as RawRequest;
      if (req.m === 'sub') {
        subs.set(
          req.id,
          hubs[req.p === 'dated' ? 'dated' : 'plain'].on((frame) => socket.send(frame, { binary: false })),
        );
        return;
      }
      if (req.m === 'unsub') {
        subs.get(req.id)?.();
        subs.delete(req.id);
        return;
      }
      const input = codec.validate(req.m, codec.decode(req.p));
      socket.send(JSON.stringify({ id: req.id, r: codec.encode(input) }));
    });
    socket.on('close', () => {
      for (const off of subs.values()) off();
      subs.clear();
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return {
    port: address.port,
    // The floor encodes each event once into one Buffer that every subscriber's socket sends:
    // event frames name the topic, not the subscription id, so they are identical for everyone.
    publish(count, shape = 'plain') {
      const make = shape === 'dated' ? makeDatedEvent : makeEvent;
      const topic = shape === 'dated' ? 'datedEvents' : 'events';
      for (let seq = 0; seq < count; seq++) {
        hubs[shape].emit(Buffer.from(`{"s":"${topic}","d":${JSON.stringify(codec.encode(make(seq)))}}`));
      }
    },
    subscribers: () => hubs.plain.size + hubs.dated.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

interface RawResponse {
  id?: number;
  r?: unknown;
  /** Topic of an event frame. */
  s?: string;
  d?: unknown;
}

/** A `ws` client with a pending-call map keyed by id. */
export async function connectRaw(codec: RawCodec, host: string, port: number): Promise<SystemClient> {
  const socket = new WebSocket(`ws://${host}:${port}`, { perMessageDeflate: false });
  socket.on('error', () => {});
  const pending = new Map<number, (value: unknown) => void>();
  const listeners = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  socket.on('message', (data) => {
    const res = JSON.parse(data.toString()) as RawResponse;
    if (res.s !== undefined) {
      const value = codec.decode(res.d);
      for (const listener of listeners.values()) listener(value);
      return;
    }
    const resolve = pending.get(res.id as number);
    pending.delete(res.id as number);
    resolve?.(codec.decode(res.r));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  function call(method: string, input: unknown): Promise<unknown> {
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, m: method, p: codec.encode(input) }));
    });
  }
  return {
    echo: (input) => call('echo', input),
    echoLarge: (input) => call('echoLarge', input),
    echoRich: (input) => call('echoRich', input),
    subscribe(onData, shape = 'plain') {
      const id = nextId++;
      listeners.set(id, onData);
      socket.send(JSON.stringify({ id, m: 'sub', p: shape }));
      return () => {
        listeners.delete(id);
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id, m: 'unsub' }));
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}
