/**
 * Counts open connections in total and per remote address against optional caps. Addresses are
 * the adapter's key for the peer (`request.socket.remoteAddress` on Node, `requestIP` on Bun).
 */
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

  /** The refusal reason when one more connection from `address` would pass a cap, else undefined. */
  check(address: string): string | undefined {
    if (this.maxTotal !== undefined && this.total >= this.maxTotal) return 'too many connections';
    if (this.maxPerIp !== undefined && (this.perIp.get(address) ?? 0) >= this.maxPerIp) {
      return 'too many connections from this address';
    }
    return undefined;
  }

  /** Counts a connection; returns the function that releases it (idempotent). */
  acquire(key: string): () => void {
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
