import { type ErrorShape, superjsonCodec } from '@duplex/core';
import { openRedisConnection, type RedisConnection, type RedisConnectionOptions, whenReady } from './redis-connection.js';

/**
 * The dedupe window of `@duplex/server` (exactly-once mutations) kept in Redis, so every server
 * process behind a load balancer answers a re-sent mutation from the same window. Structurally the
 * server's `DedupeStore`; this package does not import the server.
 */
export interface RedisDedupeStore {
  readonly windowMs: number;
  readonly maxEntries: number;
  claim(scope: DedupeScopeLike): Promise<DedupeClaimLike>;
  /** Closes the store's own Redis connection. */
  close(): Promise<void>;
}

/** Mirrors `DedupeScope` of `@duplex/server`. */
export type DedupeScopeLike =
  | { kind: 'session'; sid: string; seq: number; floor: number }
  | { kind: 'key'; path: string; key: string; fingerprint: string };

type Outcome = { ok: true; data: unknown } | { ok: false; error: ErrorShape };

/** Mirrors `DedupeClaim` of `@duplex/server`. */
export type DedupeClaimLike =
  | { status: 'run'; complete(outcome: Outcome | undefined): void }
  | { status: 'done'; outcome: Outcome }
  | { status: 'running'; outcome: Promise<Outcome | undefined> }
  | { status: 'expired' }
  | { status: 'mismatch' };

/** Options of {@link createRedisDedupeStore}. */
export interface RedisDedupeStoreOptions extends RedisConnectionOptions {
  /** Prefix of every key. @default 'duplex:' */
  keyPrefix?: string;
  /** A session's outcomes are kept until it has written nothing for this long. @default 600_000 */
  windowMs?: number;
  /** Outcomes kept per session (oldest forgotten first, raising its floor). @default 256 */
  maxEntries?: number;
  /**
   * How long a mutation may run before a re-send stops waiting for it and answers `CONFLICT`
   * (its process may have died mid-run). @default 60_000
   */
  leaseMs?: number;
  /** How often a re-send polls a mutation another process is running. @default 25 */
  pollMs?: number;
}

/**
 * Claims a slot atomically. One hash per session (or per procedure for idempotency keys):
 * field `floor`, and one field per slot holding `{s:'r',t:leaseEnd,f}` while running or
 * `{s:'d',o,f}` when done. The whole hash expires `windowMs` after its last write, so outcomes
 * are forgotten together with the session (a later hello sets a safe floor), never one by one.
 */
const CLAIM = `
local h = KEYS[1]
local slot, isSession, floor, fp, now, lease, windowMs, maxEntries = ARGV[1], ARGV[2] == '1', tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
if isSession and redis.call('EXISTS', h) == 0 then redis.call('HSET', h, 'floor', floor) end
local entry = redis.call('HGET', h, slot)
if entry then return {'have', entry} end
if isSession and tonumber(slot) < tonumber(redis.call('HGET', h, 'floor') or '0') then return {'expired'} end
redis.call('HSET', h, slot, cjson.encode({s = 'r', t = now + lease, f = fp}))
redis.call('PEXPIRE', h, windowMs)
if isSession and redis.call('HLEN', h) - 1 > maxEntries then
  local done = {}
  for _, field in ipairs(redis.call('HKEYS', h)) do
    if field ~= 'floor' then
      local value = cjson.decode(redis.call('HGET', h, field))
      if value.s == 'd' then table.insert(done, tonumber(field)) end
    end
  end
  table.sort(done)
  local excess = redis.call('HLEN', h) - 1 - maxEntries
  local top = -1
  for i = 1, math.min(excess, #done) do
    redis.call('HDEL', h, tostring(done[i]))
    top = done[i]
  end
  if top >= tonumber(redis.call('HGET', h, 'floor')) then redis.call('HSET', h, 'floor', top + 1) end
end
return {'run'}
`;

interface StoredEntry {
  s: 'r' | 'd';
  t?: number;
  f: string;
  o?: string;
}

/**
 * Creates a dedupe window in Redis for `createWsServer({ dedupe })`.
 * @example
 * const dedupe = createRedisDedupeStore({ url: process.env.REDIS_URL });
 * createWsServer({ router, dedupe });
 */
export function createRedisDedupeStore(options: RedisDedupeStoreOptions = {}): RedisDedupeStore {
  const { keyPrefix = 'duplex:', windowMs = 600_000, maxEntries = 256, leaseMs = 60_000, pollMs = 25, ...connection } = options;
  let redis: RedisConnection | undefined;
  const open = async (): Promise<RedisConnection> => {
    if (!redis) {
      redis = openRedisConnection(connection, 'duplex-dedupe', () => {});
      void redis.connect().catch(() => {});
    }
    await whenReady(redis);
    return redis;
  };
  const keyOf = (scope: DedupeScopeLike) => `${keyPrefix}dedupe:${scope.kind === 'session' ? `s:${scope.sid}` : `k:${scope.path}`}`;
  const slotOf = (scope: DedupeScopeLike) => (scope.kind === 'session' ? String(scope.seq) : scope.key);
  const fingerprintOf = (scope: DedupeScopeLike) => (scope.kind === 'key' ? scope.fingerprint : '');
  const decode = (text: string): Outcome => superjsonCodec.decode(JSON.parse(text)) as Outcome;

  /** Waits for a mutation another process runs: its outcome, undefined if it was forgotten (did not run), or expiry of its lease. */
  async function follow(key: string, slot: string): Promise<Outcome | undefined> {
    const client = await open();
    for (;;) {
      const raw = await client.sendCommand<string | null>(['HGET', key, slot]);
      if (raw === null) return undefined;
      const entry = JSON.parse(raw) as StoredEntry;
      if (entry.s === 'd' && entry.o !== undefined) return decode(entry.o);
      if ((entry.t ?? 0) < Date.now()) throw new Error('lease expired');
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  return {
    windowMs,
    maxEntries,
    async claim(scope) {
      const client = await open();
      const key = keyOf(scope);
      const slot = slotOf(scope);
      const fingerprint = fingerprintOf(scope);
      const floor = scope.kind === 'session' ? scope.floor : 0;
      const args = [slot, scope.kind === 'session' ? '1' : '0', String(floor), fingerprint, String(Date.now()), String(leaseMs), String(windowMs), String(maxEntries)];
      const reply = await client.sendCommand<string[]>(['EVAL', CLAIM, '1', key, ...args]);
      if (reply[0] === 'expired') return { status: 'expired' };
      if (reply[0] === 'have') {
        const entry = JSON.parse(reply[1] as string) as StoredEntry;
        if (entry.f !== fingerprint) return { status: 'mismatch' };
        if (entry.s === 'd' && entry.o !== undefined) return { status: 'done', outcome: decode(entry.o) };
        if ((entry.t ?? 0) < Date.now()) return { status: 'expired' };
        // A failed follow (Redis down, lease over) answers like an expired window: never a second run.
        return { status: 'running', outcome: follow(key, slot).catch(() => ({ ok: false, error: LOST })) };
      }
      return {
        status: 'run',
        complete(outcome) {
          const write = outcome
            ? ['HSET', key, slot, JSON.stringify({ s: 'd', f: fingerprint, o: JSON.stringify(superjsonCodec.encode(outcome)) })]
            : ['HDEL', key, slot];
          void client
            .sendCommand(write)
            .then(() => client.sendCommand(['PEXPIRE', key, String(windowMs)]))
            .catch(() => {});
        },
      };
    },
    async close() {
      const client = redis;
      redis = undefined;
      if (client?.isOpen) await client.close().catch(() => client.destroy());
    },
  };
}

const LOST: ErrorShape = {
  code: 'CONFLICT',
  message: "this mutation may already have run, and the server's dedupe window no longer holds its result; it was not run again",
};
