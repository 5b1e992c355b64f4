import type { Request } from '@google-cloud/functions-framework';
import { LIMITS } from '../events/limits.ts';
import { describeJsonSyntaxError } from '../kernel/untrusted-json.ts';
import { badRequest, tooLarge, type ErrorReply } from './reply.ts';

export type BodyOutcome = { ok: true; value: unknown } | { ok: false; reply: ErrorReply };

const JSON_TYPES = ['application/json', 'text/plain'];

/**
 * The Functions Framework has already buffered the body (`rawBody`) and parsed JSON sent as
 * `application/json`; `text/plain` is parsed here, so a malformed body gets a readable reason. It saves
 * no CORS preflight (the Authorization header needs one), so `navigator.sendBeacon` cannot send events.
 */
export function readJsonBody(req: Request, maxBytes: number = LIMITS.maxRequestBytes): BodyOutcome {
  const size = req.rawBody?.length ?? Number(req.get('content-length') ?? 0);
  if (size > maxBytes) return refused(tooLarge(`request body is ${size} bytes; the limit is ${maxBytes} bytes`));
  if (!req.rawBody || size === 0) return refused(badRequest('request body is empty; send JSON'));
  const unsupported = unsupportedContentType(req, JSON_TYPES);
  if (unsupported) return refused(unsupported);
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) {
    try {
      return { ok: true, value: JSON.parse(req.body.toString()) as unknown };
    } catch (error) {
      return refused(badRequest(`request body is ${describeJsonSyntaxError(error)}`));
    }
  }
  return { ok: true, value: req.body as unknown };
}

/** 415 unless the request says its body is one of `types`. */
export function unsupportedContentType(req: Request, types: readonly string[]): ErrorReply | null {
  const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (types.includes(type)) return null;
  return {
    status: 415,
    code: 'unsupported_media_type',
    message: `content type "${type || 'none'}" is not supported; send application/json`,
  };
}

function refused(reply: ErrorReply): BodyOutcome {
  return { ok: false, reply };
}
