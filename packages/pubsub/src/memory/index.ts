export { createMemoryPubSub, type MemoryPubSub, type MemoryPubSubOptions } from './memory-pub-sub.js';
