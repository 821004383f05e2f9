export { createLiveQueries, type LiveInvalidateOptions, type LiveProcedure, type LivePubSub, type LiveQueries, type LiveSubscription, type LiveTopics, type LiveQueriesOptions, type WithLiveQueries } from './create-live-queries.js';
export { LIVE_CHANNEL, LIVE_KEY, type LiveInvalidation, type LiveMessage } from '../live-message.js';
