import { z } from 'zod';
import { describeIssues } from '../events/describe-issues.ts';
import type { MessagePublishedData } from '../events/messages.ts';

export type { MessagePublishedData };

export type Decoded<T> = { ok: true; value: T; messageId: string } | { ok: false; reason: string; raw: string; messageId: string };

/**
 * Base64 → JSON → schema. A message that fails here will fail the same way on every redelivery,
 * so it is a permanent error: kept as rejected and acknowledged, never retried.
 */
export function decodeMessage<T>(data: MessagePublishedData | undefined, schema: z.ZodType<T>): Decoded<T> {
  const messageId = data?.message?.messageId ?? 'unknown';
  const encoded = data?.message?.data;
  if (typeof encoded !== 'string' || encoded.length === 0) return { ok: false, reason: 'message has no data', raw: '', messageId };
  const raw = Buffer.from(encoded, 'base64').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, reason: `message is not JSON: ${(error as Error).message}`, raw, messageId };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `message does not match its contract: ${describeIssues(parsed.error)}`, raw, messageId };
  return { ok: true, value: parsed.data, messageId };
}
