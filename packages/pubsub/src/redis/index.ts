export type { ResumePolicy } from '../resume-policy.js';
export type { RedisConnectionOptions } from './redis-connection.js';
export { createRedisPubSub, type RedisPubSub, type RedisPubSubOptions } from './redis-pub-sub.js';
