import type { IncomingMessage } from 'node:http';
import { decodeBinaryFrame, SUBPROTOCOL } from '@duplex/core';
import { type ClientOptions, WebSocket } from 'ws';

/** One message as the server sent it (frames holding a batch are split; a binary frame's attachments are in `binary`). */
export type Received = { t: string; id?: number | null; error?: { code: string; message: string; stack?: string; issues?: unknown[] }; [key: string]: unknown };

/** A hand-driven socket that speaks (or abuses) the wire protocol, for attack tests. */
export interface RawSocket {
  ws: WebSocket;
  /** Sends a value as JSON, or a string / Buffer as is. */
  send(value: unknown): void;
  /** The next message, in order. */
  next(): Promise<Received>;
  /** The next message matching `predicate`; messages before it are dropped. */
  until(predicate: (message: Received) => boolean): Promise<Received>;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** Sends hello and waits for ready. */
  hello(params?: unknown, extra?: Record<string, unknown>): Promise<Received>;
  close(): void;
}

/** Opens a raw socket offering `duplex.v1` and waits for it to open. */
export async function openRaw(url: string, options: ClientOptions & { protocols?: string | string[] } = {}): Promise<RawSocket> {
  const { protocols = SUBPROTOCOL, ...rest } = options;
  const ws = new WebSocket(url, protocols, rest);
  const queue: Received[] = [];
  const waiters: Array<(message: Received) => void> = [];
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    // A binary frame holds one message; its attachment section rides along as `binary`.
    const split = isBinary ? decodeBinaryFrame(data as Buffer) : undefined;
    const parsed: unknown = JSON.parse(split ? split.text : data.toString());
    if (split) (parsed as Received).binary = Uint8Array.from(split.attachments.section);
    for (const message of (Array.isArray(parsed) ? parsed : [parsed]) as Received[]) {
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const next = () => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise<Received>((resolve) => waiters.push(resolve));
  };
  const raw: RawSocket = {
    ws,
    send(value) {
      ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
    },
    next,
    async until(predicate) {
      for (;;) {
        const message = await next();
        if (predicate(message)) return message;
      }
    },
    closed,
    async hello(params, extra = {}) {
      raw.send({ t: 'hello', v: 1, codec: 'json', ...(params === undefined ? {} : { params }), ...extra });
      return raw.until((m) => m.t === 'ready');
    },
    close() {
      ws.close();
    },
  };
  return raw;
}

/** Attempts an upgrade and reports the HTTP status and body of a refusal (or 101). */
export function upgradeOutcome(
  url: string,
  options: ClientOptions & { protocols?: string | string[] } = {},
): Promise<{ status: number; body: string }> {
  const { protocols = SUBPROTOCOL, ...rest } = options;
  const ws = new WebSocket(url, protocols, rest);
  return new Promise((resolve, reject) => {
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
  });
}
