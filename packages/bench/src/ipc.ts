import type { Serializable } from 'node:child_process';

/** The part of `process` / `ChildProcess` an IPC channel needs. */
export interface IpcEndpoint {
  send?: ((message: Serializable) => boolean) | undefined;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

interface Envelope {
  rid: number;
  kind: 'req' | 'res';
  body?: unknown;
  error?: string;
}

/** Request/response over a fork IPC channel, in both directions. */
export class Ipc {
  private nextRid = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private handler: ((body: unknown) => unknown) | undefined;

  constructor(private readonly endpoint: IpcEndpoint) {
    endpoint.on('message', (raw) => void this.onMessage(raw as Envelope));
  }

  /** Serves requests from the other side; a thrown error travels back as a rejection. */
  handle(handler: (body: unknown) => unknown): void {
    this.handler = handler;
  }

  request<TResult>(body: unknown): Promise<TResult> {
    const rid = this.nextRid++;
    return new Promise<TResult>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ rid, kind: 'req', body });
    });
  }

  private post(envelope: Envelope): void {
    if (!this.endpoint.send) throw new Error('no IPC channel: run this file with child_process.fork');
    this.endpoint.send(envelope as unknown as Serializable);
  }

  private async onMessage(envelope: Envelope): Promise<void> {
    if (envelope.kind === 'res') {
      const waiter = this.pending.get(envelope.rid);
      this.pending.delete(envelope.rid);
      if (envelope.error !== undefined) waiter?.reject(new Error(envelope.error));
      else waiter?.resolve(envelope.body);
      return;
    }
    try {
      if (!this.handler) throw new Error('no IPC handler');
      const body = await this.handler(envelope.body);
      this.post({ rid: envelope.rid, kind: 'res', body });
    } catch (error) {
      const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error);
      this.post({ rid: envelope.rid, kind: 'res', error: message });
    }
  }
}
