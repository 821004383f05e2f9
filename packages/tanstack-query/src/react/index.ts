export { useSubscription } from './use-subscription.js';
export type { SubscriptionResult, SubscriptionStatus } from '../subscription-observer.js';
