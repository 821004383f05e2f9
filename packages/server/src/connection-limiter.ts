import type { IncomingMessage } from 'node:http';

/** Counts open connections in total and per remote address against optional caps. */
export class ConnectionLimiter {
  private total = 0;
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly maxTotal: number | undefined,
    private readonly maxPerIp: number | undefined,
  ) {}

  /** True when a cap is configured (otherwise connections need not be counted). */
  get active(): boolean {
    return this.maxTotal !== undefined || this.maxPerIp !== undefined;
  }

  /** The refusal reason when one more connection from `request` would pass a cap, else undefined. */
  check(request: IncomingMessage): string | undefined {
    if (this.maxTotal !== undefined && this.total >= this.maxTotal) return 'too many connections';
    if (this.maxPerIp !== undefined && (this.perIp.get(keyOf(request)) ?? 0) >= this.maxPerIp) {
      return 'too many connections from this address';
    }
    return undefined;
  }

  /** Counts a connection; returns the function that releases it (idempotent). */
  acquire(request: IncomingMessage): () => void {
    const key = keyOf(request);
    this.total++;
    this.perIp.set(key, (this.perIp.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perIp.get(key) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(key);
      else this.perIp.set(key, left);
    };
  }
}

function keyOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}
