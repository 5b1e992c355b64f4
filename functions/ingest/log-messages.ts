/**
 * The line ingest logs once it is done with a message, with the events it learned and the lag since collect received
 * them: infra/monitoring.ts finds these lines by this message to chart and alert on the lag and the events learned.
 */
export const MESSAGE_INGESTED = 'message ingested';

/**
 * A shopper's document reached its bound of applied ids and dropped the oldest before their time: a redelivery of
 * those events would be learned again. Logged as a warning, for an alert; docs/learning.md says when it happens.
 */
export const APPLIED_IDS_FORGOTTEN = 'applied event ids forgotten early';
