export type { ResumePolicy } from '../resume-policy.js';
export { createNatsPubSub, type NatsPubSub, type NatsPubSubOptions } from './nats-pub-sub.js';
export { subjectOf } from './subject.js';
