/**
 * The line ingest logs once it is done with a message, with the events it learned and the lag since collect received
 * them: infra/monitoring.ts finds these lines by this message to chart and alert on the lag and the events learned.
 */
export const MESSAGE_INGESTED = 'message ingested';
