export type { ResumePolicy } from '../resume-policy.js';
export type { RedisConnectionOptions } from './redis-connection.js';
export { createRedisPubSub, type RedisPubSub, type RedisPubSubOptions } from './redis-pub-sub.js';
export {
  createRedisDedupeStore,
  type DedupeClaimLike,
  type DedupeScopeLike,
  type RedisDedupeStore,
  type RedisDedupeStoreOptions,
} from './redis-dedupe-store.js';
