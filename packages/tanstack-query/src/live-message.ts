/** The pub/sub topic live invalidations travel on. @default 'duplex.live' */
export const LIVE_CHANNEL = 'duplex.live';

/** The router key the live-query stream is attached at. */
export const LIVE_KEY = '~live';

/** What one invalidation says on the wire: the topics published and the query paths they touch. */
export interface LiveInvalidation {
  /** Topics given to `invalidate()`. */
  topics: string[];
  /** Dotted paths of the queries that declared one of those topics. */
  paths: string[];
  /**
   * Set on the first message of a stream that starts afresh (not resumed), once it is live on the
   * server: `paths` is then every live query, and the client invalidates the results it already
   * holds of them, which were read before the stream could deliver invalidations.
   */
  established?: true;
  /** Given to `invalidate(topics, { input })`: only the cached entries whose input matches it (deep partial match). */
  input?: unknown;
}

/** What the server publishes on the pub/sub channel (paths are resolved by each receiving server). */
export interface LiveMessage {
  topics: string[];
  /** Narrows the invalidation to the entries whose input matches (see `LiveInvalidation.input`). */
  input?: unknown;
}
