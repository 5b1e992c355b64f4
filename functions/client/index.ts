/**
 * `grocery-learning-loop/client`: events from a shop's pages and servers to `collect`, batched,
 * retried with the same event ids, kept until collect answered for them. The browser build is
 * `browser.ts` (also a script-tag bundle, global `GroceryLoop`); Node's is `node.ts`. Same API.
 */
export { createTracker } from './browser.ts';
export type {
  Dropped,
  EventContext,
  EventData,
  EventOf,
  Experiments,
  Product,
  SearchInput,
  SearchRef,
  Tracker,
  TrackerOptions,
  TrackerStats,
  TrackOptions,
} from './tracker.ts';
export type { FlushResult, Rejection } from './delivery.ts';
export type { LinkResult, VisitorLink } from './link.ts';
export type { TrackingConsent } from './consent.ts';
export type { TokenSource } from './token.ts';
export type { BackoffPolicy } from './backoff.ts';
export type { QueueBounds } from './queue.ts';
export type { FetchLike, FetchInit, FetchResponse, StorageLike, Timers } from './ports.ts';
export type { ClientEvent, EventType } from '../events/schema.ts';
