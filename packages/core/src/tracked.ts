const trackedMarker = Symbol.for('duplex.tracked');

/** A subscription value with an event id, made by {@link tracked}. */
export interface Tracked<TData> {
  readonly id: string;
  readonly data: TData;
  readonly [trackedMarker]: true;
}

/**
 * Attaches an event id to a value yielded by a subscription; on resume the handler gets the last
 * id the client saw as `lastEventId`.
 * @example yield tracked(post.id, post);
 */
export function tracked<TData>(id: string, data: TData): Tracked<TData> {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('tracked(id, data): id must be a non-empty string');
  return { id, data, [trackedMarker]: true };
}

/** True when `value` was made by {@link tracked}. */
export function isTracked(value: unknown): value is Tracked<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[trackedMarker] === true;
}

/** The data type of a yielded value, with any `tracked()` wrapper removed. */
export type UntrackedValue<TValue> = TValue extends Tracked<infer TData> ? TData : TValue;
