import { isTracked, type StandardSchemaV1 } from '@duplex/core';
import type { ActiveEntry } from './active-entry.js';
import { validate } from './call-procedure.js';

/** What {@link pumpItems} needs from its connection. */
export interface PumpHost {
  /** True while `entry` is still the live one for `id` (not cancelled, timed out or closed). */
  isLive(id: number, entry: ActiveEntry): boolean;
  /** Socket backpressure: a promise while the outgoing buffer is full, else undefined. */
  whenWritable(): Promise<void> | undefined;
  /** Queues one validated item as `data` (with its `tracked()` id, if any) and spends a credit. */
  sendItem(id: number, entry: ActiveEntry, eid: string | undefined, data: unknown): void;
  /** The producer ended: removes the entry and queues `done`. */
  sendDone(id: number, entry: ActiveEntry): void;
}

/**
 * Sends a stream's items (a subscription's events, or a call's streamed result) as `data` on
 * `id`, each validated by `schema`, pulling the producer only while the socket takes more and
 * credit is left (protocol.md §7.1, §7.2); then `done`. Returns when the stream ends or its
 * entry is released; throws what the producer throws.
 */
export async function pumpItems(
  host: PumpHost,
  id: number,
  entry: ActiveEntry,
  iterator: AsyncIterator<unknown>,
  schema: StandardSchemaV1 | undefined,
): Promise<void> {
  while (host.isLive(id, entry)) {
    const blocked = host.whenWritable();
    if (blocked) {
      await parkUntil(blocked, entry);
      if (!host.isLive(id, entry)) return;
    }
    // Pull only with credit left: a reader that stopped reading stops the producer.
    if (entry.credit && !entry.credit.available) {
      await parkUntil(entry.credit.whenGranted(), entry);
      continue;
    }
    let step = await nextOrWake(iterator, entry);
    if (step === undefined || !host.isLive(id, entry)) return;
    if (step.done) return host.sendDone(id, entry);
    let sent = sendItem(host, id, entry, step.value, schema);
    // A suspended async frame keeps its locals: drop the item before the next await (issue 14).
    step = undefined;
    if (sent instanceof Promise) sent = await sent;
    if (!sent) return;
  }
}

/**
 * Validates and queues one item; false when the stream ended meanwhile. A function of its own so
 * the item lives only in this frame: a local of the loop's suspended async frame would keep the
 * last item reachable until the next one arrives (issue 14, tRPC #6156).
 */
function sendItem(host: PumpHost, id: number, entry: ActiveEntry, value: unknown, schema: StandardSchemaV1 | undefined): boolean | Promise<boolean> {
  const eid = isTracked(value) ? value.id : undefined;
  const data = validate(schema, isTracked(value) ? value.data : value, 'INTERNAL_SERVER_ERROR');
  if (data instanceof Promise) return data.then((valid) => queueItem(host, id, entry, eid, valid));
  return queueItem(host, id, entry, eid, data);
}

function queueItem(host: PumpHost, id: number, entry: ActiveEntry, eid: string | undefined, data: unknown): boolean {
  if (!host.isLive(id, entry)) return false;
  host.sendItem(id, entry, eid, data);
  return true;
}

/** Resolves with the next step, or undefined as soon as the entry is released. */
function nextOrWake(iterator: AsyncIterator<unknown>, entry: ActiveEntry): Promise<IteratorResult<unknown> | undefined> {
  if (entry.aborted) return Promise.resolve(undefined);
  // A stale `wake` left from an earlier step is harmless: resolving a settled promise is a no-op.
  return new Promise<IteratorResult<unknown> | undefined>((resolve, reject) => {
    entry.wake = resolve;
    iterator.next().then(resolve, reject);
  });
}

/** Waits for `until` (the socket draining, a credit), or for the entry to be released, whichever comes first. */
function parkUntil(until: Promise<void>, entry: ActiveEntry): Promise<void> {
  if (entry.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    entry.wake = resolve;
    until.then(resolve, resolve);
  });
}
