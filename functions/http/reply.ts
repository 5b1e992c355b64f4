import type { Response } from '@google-cloud/functions-framework';

export type ErrorReply = { status: number; code: string; message: string; headers?: Record<string, string> };

/** Every error answer has one shape, `{"error": {"code", "message"}}`, and a message in our own words. */
export function sendError(res: Response, reply: ErrorReply): void {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.set(name, value);
  res.status(reply.status).json({ error: { code: reply.code, message: reply.message } });
}
