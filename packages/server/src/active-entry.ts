import type { DuplexError, TimerHandle } from '@duplex/core';
import type { SignalSource } from './call-procedure.js';
import type { CreditWindow } from './credit-window.js';
import type { InputStream } from './input-stream.js';
import type { RequestInstrumentation } from './instrumentation.js';
import type { SubscriptionSource } from './recheck-subscription.js';

/**
 * One running call or subscription. Its AbortSignal is created only when the handler reads
 * `signal` (creating one is a measurable share of a small call's cost); the peer itself checks
 * the plain `aborted` flag.
 */
export class ActiveEntry implements SignalSource {
  timer: TimerHandle | undefined = undefined;
  /** Subscriptions: what started it, to check it again against a new context (`auth`). */
  source: SubscriptionSource | undefined = undefined;
  /** Wakes a subscription loop parked on `next()` so teardown never waits on user code. */
  wake: ((value?: undefined) => void) | undefined = undefined;
  /** A subscription's credits, when its `sub` carried a window (protocol.md §7.1). */
  credit: CreditWindow | undefined = undefined;
  /** A call's client stream, when its procedure takes one (protocol.md §7.2). */
  input: InputStream | undefined = undefined;
  /** Its span and metrics, when the server has `instrumentation`. */
  trace: RequestInstrumentation | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private reason: DuplexError | undefined = undefined;

  constructor(readonly kind: 'call' | 'sub') {}

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: DuplexError): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.trace?.end(reason);
  }
}

/**
 * A call or sub input already decoded where its binary frame was read (the frame's attachments are
 * checked there), or the error decoding it raised, reported when the call starts. JSON never
 * parses into an instance of this class, so it cannot be confused with a wire payload.
 */
export class DecodedInput {
  constructor(
    readonly value: unknown,
    readonly failed = false,
  ) {}
}

/** Shared by every peer until its first call: an idle connection allocates no map. Never written. */
export const NO_ENTRIES: Map<number, ActiveEntry> = new Map();
