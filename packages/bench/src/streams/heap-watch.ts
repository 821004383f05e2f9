/**
 * Peak growth of the memory this process *keeps* while a scenario runs: the JS heap plus
 * ArrayBuffer memory (where `Uint8Array` chunks live), measured after a full GC every 25 ms
 * against a baseline taken the same way. Garbage that merely waits for the collector is not
 * counted (it would measure the GC's pacing, not what duplex buffers); a buffer that grows
 * without bound is, and it cannot hide between samples for long.
 */
export class HeapWatch {
  private baseline = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('HeapWatch needs --expose-gc');
    gc();
    this.baseline = used();
    this.peak = this.baseline;
    this.timer = setInterval(() => {
      gc();
      const now = used();
      if (now > this.peak) this.peak = now;
    }, 25);
  }

  /** Stops sampling; returns the peak growth in MiB. */
  stop(): number {
    clearInterval(this.timer);
    return (this.peak - this.baseline) / 1024 / 1024;
  }
}

function used(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
