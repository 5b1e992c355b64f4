import type { Request } from '@google-cloud/functions-framework';
import { LIMITS } from '../events/limits.ts';
import { describeJsonSyntaxError } from '../kernel/untrusted-json.ts';

export type BodyOutcome = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; reason: string };

const JSON_TYPES = ['application/json', 'text/plain'];

/**
 * The Functions Framework has already buffered the body (`rawBody`) and parsed JSON sent as
 * `application/json`; `text/plain` (what `navigator.sendBeacon` sends without a CORS preflight)
 * is parsed here, so a malformed body gets a readable reason.
 */
export function readJsonBody(req: Request, maxBytes: number = LIMITS.maxRequestBytes): BodyOutcome {
  const size = req.rawBody?.length ?? Number(req.get('content-length') ?? 0);
  if (size > maxBytes) {
    return { ok: false, status: 413, reason: `request body is ${size} bytes; the limit is ${maxBytes} bytes` };
  }
  if (!req.rawBody || size === 0) return { ok: false, status: 400, reason: 'request body is empty; send JSON' };
  const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_TYPES.includes(type)) {
    return { ok: false, status: 415, reason: `content type "${type || 'none'}" is not supported; send application/json` };
  }
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) {
    try {
      return { ok: true, value: JSON.parse(req.body.toString()) as unknown };
    } catch (error) {
      return { ok: false, status: 400, reason: `request body is ${describeJsonSyntaxError(error)}` };
    }
  }
  return { ok: true, value: req.body as unknown };
}
