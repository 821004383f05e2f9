import { MAX_CREDIT } from '@duplex/core';

/**
 * The credits one subscription holds on the server (protocol.md §7.1): how many more events it
 * may send. The subscription loop pulls its generator only while credit is left, so a reader
 * that stops reading stops the producer within one window. A subscription whose `sub` carried no
 * window has no CreditWindow at all (only socket backpressure applies).
 */
export class CreditWindow {
  private waiter: (() => void) | undefined = undefined;

  constructor(private credit: number) {}

  /** True while at least one more event may be sent. */
  get available(): boolean {
    return this.credit > 0;
  }

  /** Counts one event sent. */
  spend(): void {
    this.credit--;
  }

  /**
   * Adds `n` credits and wakes a loop waiting for them. Returns false, adding nothing, when the
   * total would pass {@link MAX_CREDIT}: a client that grants more than it ever could have
   * consumed has lost count, and the caller refuses it as a protocol error.
   */
  grant(n: number): boolean {
    if (this.credit + n > MAX_CREDIT) return false;
    this.credit += n;
    const wake = this.waiter;
    this.waiter = undefined;
    wake?.();
    return true;
  }

  /** Resolves at the next {@link CreditWindow.grant}. */
  whenGranted(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }
}
