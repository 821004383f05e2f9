export { createQueryUtils } from './create-query-utils.js';
export { SubscriptionObserver, type SubscriptionResult, type SubscriptionStatus } from './subscription-observer.js';
export { buildQueryKey, type DuplexMutationKey, type DuplexQueryKey, isDuplexQueryKey, type QueryType, type TaggedQueryKey } from './query-key.js';
export type { QuerySource, SourceCallOptions, SourceProcedures } from './query-source.js';
export type * from './types.js';
export { type LiveClient, watchLiveQueries, type WatchLiveQueriesOptions } from './watch-live-queries.js';
export { LIVE_KEY, type LiveInvalidation } from './live-message.js';
