import type { Clock, ErrorShape } from '@duplex/core';

/** What a completed mutation answered: kept in the window and sent again to a repeat. */
export type DedupeOutcome = { ok: true; data: unknown } | { ok: false; error: ErrorShape };

/**
 * Which mutation a claim is about: a client's session and sequence number (`hello.sid`,
 * `call.seq`), or an application's idempotency key on one procedure (`call.key`).
 */
export type DedupeScope =
  | { kind: 'session'; sid: string; seq: number; /** The session's lowest sequence number this connection may still run (hello.seq + 1). */ floor: number }
  | { kind: 'key'; path: string; key: string; /** A digest of the input: one key, one input. */ fingerprint: string };

/** The answer to a claim. */
export type DedupeClaim =
  /** Never seen: run it, then report the outcome (or `undefined`: it did not run, forget it). */
  | { status: 'run'; complete(outcome: DedupeOutcome | undefined): void }
  /** Already completed: answer with the stored outcome. */
  | { status: 'done'; outcome: DedupeOutcome }
  /** Running right now (a re-send raced the first attempt): answer when it completes. */
  | { status: 'running'; outcome: Promise<DedupeOutcome | undefined> }
  /** The window no longer tells whether it ran: never run it again. */
  | { status: 'expired' }
  /** The idempotency key was used with another input. */
  | { status: 'mismatch' };

/**
 * Remembers which mutations ran and what they answered, for a bounded time and count. The
 * default is {@link MemoryDedupeStore}, one per process; a store shared by several processes
 * (Redis) implements the same interface.
 */
export interface DedupeStore {
  /** The window's bounds, stated to clients in `ready.dedupe`. */
  readonly windowMs: number;
  readonly maxEntries: number;
  claim(scope: DedupeScope): DedupeClaim | Promise<DedupeClaim>;
}

/** Options of {@link MemoryDedupeStore}. */
export interface MemoryDedupeStoreOptions {
  /** How long a completed mutation's outcome is kept. @default 600_000 (10 minutes) */
  windowMs?: number;
  /** Outcomes kept per session (oldest forgotten first), and per procedure for idempotency keys. @default 256 */
  maxEntries?: number;
  /** Sessions (and idempotency keys) kept at most; the least recently used go first. @default 10_000 */
  maxSessions?: number;
  clock?: Pick<Clock, 'now'>;
}

interface Entry {
  fingerprint: string | undefined;
  outcome: DedupeOutcome | undefined;
  doneAt: number;
  waiters: Array<(outcome: DedupeOutcome | undefined) => void> | undefined;
}

interface Window {
  /** Sequence numbers below this are no longer known: a claim for one that is not kept is expired. */
  floor: number;
  entries: Map<number | string, Entry>;
  /** When `expire` next walks the entries (see {@link sweepInterval}). */
  sweepAt: number;
}

/**
 * How often a window's outcomes are checked for expiry: a tenth of the window, at most a second.
 * Walking every entry on each claim cost 18 µs per mutation with 256 outcomes kept (more than the
 * rest of the call); walking them at most once per interval costs nothing measurable, and an
 * outcome is kept at most this much longer than `windowMs`.
 */
function sweepInterval(windowMs: number): number {
  return Math.max(1, Math.min(1_000, windowMs / 10));
}

/** @see MemoryDedupeStoreOptions.windowMs */
export const DEFAULT_DEDUPE_WINDOW_MS = 10 * 60_000;
/** @see MemoryDedupeStoreOptions.maxEntries */
export const DEFAULT_DEDUPE_MAX_ENTRIES = 256;
/** @see MemoryDedupeStoreOptions.maxSessions */
export const DEFAULT_DEDUPE_MAX_SESSIONS = 10_000;

/**
 * A dedupe window in this process's memory. Servers of one process share the default one, so a
 * server closed and created again in the same process (a drain and restart, a hot reload) still
 * answers re-sent mutations; across processes use a shared store.
 */
export class MemoryDedupeStore implements DedupeStore {
  readonly windowMs: number;
  readonly maxEntries: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_DEDUPE_WINDOW_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_DEDUPE_MAX_ENTRIES;
    this.maxSessions = options.maxSessions ?? DEFAULT_DEDUPE_MAX_SESSIONS;
    const clock = options.clock;
    this.now = clock ? () => clock.now() : Date.now;
  }

  /** Sessions and keyed procedures held (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  claim(scope: DedupeScope): DedupeClaim {
    const name = scope.kind === 'session' ? `s:${scope.sid}` : `k:${scope.path}`;
    const slot = scope.kind === 'session' ? scope.seq : scope.key;
    let window = this.windows.get(name);
    if (window) {
      // Most recently used last: the first entries of the map are the first to be evicted.
      this.windows.delete(name);
      this.windows.set(name, window);
    } else {
      window = { floor: scope.kind === 'session' ? scope.floor : 0, entries: new Map(), sweepAt: 0 };
      this.windows.set(name, window);
      this.evictSessions();
    }
    const now = this.now();
    if (now >= window.sweepAt) {
      this.expire(window, now);
      window.sweepAt = now + sweepInterval(this.windowMs);
    }
    const entry = window.entries.get(slot);
    if (entry) {
      if (scope.kind === 'key' && entry.fingerprint !== scope.fingerprint) return { status: 'mismatch' };
      if (entry.outcome) return { status: 'done', outcome: entry.outcome };
      return { status: 'running', outcome: new Promise((resolve) => (entry.waiters ??= []).push(resolve)) };
    }
    if (typeof slot === 'number' && slot < window.floor) return { status: 'expired' };
    const fresh: Entry = { fingerprint: scope.kind === 'key' ? scope.fingerprint : undefined, outcome: undefined, doneAt: 0, waiters: undefined };
    window.entries.set(slot, fresh);
    this.trim(window);
    return {
      status: 'run',
      complete: (outcome) => {
        const waiters = fresh.waiters;
        fresh.waiters = undefined;
        if (outcome) {
          fresh.outcome = outcome;
          fresh.doneAt = this.now();
        } else if (window.entries.get(slot) === fresh) {
          window.entries.delete(slot);
        }
        for (const resolve of waiters ?? []) resolve(outcome);
      },
    };
  }

  /** Forgets outcomes older than the window; a forgotten sequence number raises the floor. */
  private expire(window: Window, now: number): void {
    const oldest = now - this.windowMs;
    for (const [slot, entry] of window.entries) {
      if (!entry.outcome || entry.doneAt > oldest) continue;
      this.forget(window, slot);
    }
  }

  /** Keeps at most `maxEntries` per window, forgetting the oldest completed ones first. */
  private trim(window: Window): void {
    if (window.entries.size <= this.maxEntries) return;
    for (const [slot, entry] of window.entries) {
      if (window.entries.size <= this.maxEntries) return;
      if (entry.outcome) this.forget(window, slot);
    }
  }

  private forget(window: Window, slot: number | string): void {
    window.entries.delete(slot);
    if (typeof slot === 'number' && slot >= window.floor) window.floor = slot + 1;
  }

  private evictSessions(): void {
    for (const name of this.windows.keys()) {
      if (this.windows.size <= this.maxSessions) return;
      this.windows.delete(name);
    }
  }
}

let shared: MemoryDedupeStore | undefined;

/** The process-wide default store every server uses unless given another. */
export function defaultDedupeStore(): MemoryDedupeStore {
  shared ??= new MemoryDedupeStore();
  return shared;
}
