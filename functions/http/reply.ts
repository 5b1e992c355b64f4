import type { Response } from '@google-cloud/functions-framework';

export type ReplyHeaders = Readonly<Record<string, string>>;

/** An error answer: its status, a stable `code` for programs, and a message in our own words. */
export type ErrorReply = { status: number; code: string; message: string; headers?: ReplyHeaders };

/** What a route answers: a JSON body, an HTML page, or an error. Only the handler's shell writes it. */
export type Reply =
  ErrorReply | { status: number; body: unknown; headers?: ReplyHeaders } | { status: number; html: string; headers?: ReplyHeaders };

/** Every error answer has one shape, `{"error": {"code", "message"}}`, and a message in our own words. */
export function sendError(res: Response, reply: ErrorReply): void {
  setHeaders(res, reply.headers);
  res.status(reply.status).json({ error: { code: reply.code, message: reply.message } });
}

export function sendReply(res: Response, reply: Reply): void {
  if ('html' in reply) {
    setHeaders(res, reply.headers);
    res.status(reply.status).type('html').send(reply.html);
  } else if ('body' in reply) {
    setHeaders(res, reply.headers);
    res.status(reply.status).json(reply.body);
  } else {
    sendError(res, reply);
  }
}

export function badRequest(message: string): ErrorReply {
  return { status: 400, code: 'bad_request', message };
}

export function tooLarge(message: string): ErrorReply {
  return { status: 413, code: 'payload_too_large', message };
}

/** 503: a store or the warehouse did not answer; the same request may be sent again in a second. */
export function retryLater(message: string): ErrorReply {
  return { status: 503, code: 'unavailable', message, headers: { 'Retry-After': '1' } };
}

function setHeaders(res: Response, headers: ReplyHeaders | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) res.set(name, value);
}
