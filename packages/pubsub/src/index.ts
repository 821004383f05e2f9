export { backendUnavailable, resumeConflict } from './conflict.js';
export { createPubSub, type PubSubOptions, trackedEvents } from './create-pub-sub.js';
export type { DriverSubscribeOptions, PubSubDriver, RawEvent, RawSubscription } from './driver.js';
export type { ResumePolicy } from './resume-policy.js';
export { EventQueue, type EventQueueOptions } from './event-queue.js';
export { createMemoryPubSub, type MemoryPubSub, type MemoryPubSubOptions } from './memory/index.js';
export type { AnyEvents, PayloadCodec, PubSub, PubSubEvent, PubSubSubscription, SubscribeOptions, TopicOf } from './types.js';
