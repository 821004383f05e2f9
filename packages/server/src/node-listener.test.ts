import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from './node-listener.js';

let server: Server | undefined;

async function serve(fetch: (request: Request) => Promise<Response>): Promise<string> {
  server = createServer(toNodeListener(fetch));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('toNodeListener', () => {
  it('sends a JSON answer whole, with a Content-Length instead of chunks', async () => {
    const base = await serve(async () => Response.json({ t: 'result', data: 'é' }, { status: 207 }));
    const response = await fetch(base);
    expect(response.status).toBe(207);
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(response.headers.get('content-length')).toBe(String(new TextEncoder().encode('{"t":"result","data":"é"}').byteLength));
    expect(await response.json()).toEqual({ t: 'result', data: 'é' });
  });

  it('streams other bodies chunk by chunk (an event stream is read before it ends)', async () => {
    let push: ((text: string) => void) | undefined;
    let end: (() => void) | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
        end = () => controller.close();
      },
    });
    const base = await serve(async () => new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }));
    const response = await fetch(base);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    push?.('data: 1\n\n');
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: 1\n\n');
    end?.();
    expect((await reader.read()).done).toBe(true);
  });
});
