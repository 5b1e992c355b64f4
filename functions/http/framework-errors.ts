import { createRequire } from 'node:module';
import type { Request, Response } from '@google-cloud/functions-framework';
import { describeJsonSyntaxError } from '../kernel/untrusted-json.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { sendError, type ErrorReply } from './reply.ts';

// The Functions Framework hands whatever fails before a function runs (a body its parser refuses, a
// request its CloudEvent middleware cannot read, a method a CloudEvent function has no route for) to
// Express's default final handler, which answers HTML with the error's text, and outside production its
// stack and file paths. The framework has no hook for it (functions-framework-nodejs#686), so the final
// handler of the Express applications it builds is replaced, on its own copy of Express.

type FinalHandler = (error?: unknown) => void;
type ExpressApplication = { handle(this: unknown, req: Request, res: Response, callback?: FinalHandler): void };

/** Process-wide, as Express is: set once, whichever copy of this module gets there first. */
const INSTALLED = Symbol.for('grocery-learning-loop.json-final-handler');

/**
 * From now on, every Express application the Functions Framework builds answers what fails before the
 * function runs with a short JSON error. Call before the framework builds its server (registering a
 * function does); later calls change nothing.
 */
export function answerFrameworkErrorsAsJson(logger: Logger = createLogger({ labels: { component: 'functions-framework' } })): void {
  const application = frameworkExpressApplication();
  const slots = application as unknown as Record<symbol, boolean>;
  if (slots[INSTALLED]) return;
  slots[INSTALLED] = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the application's own `this`
  const frameworkHandle = application.handle;
  application.handle = function handle(req, res, callback) {
    frameworkHandle.call(this, req, res, callback ?? ((error?: unknown) => answer(req, res, error, logger)));
  };
}

function frameworkExpressApplication(): ExpressApplication {
  const framework = createRequire(import.meta.url).resolve('@google-cloud/functions-framework');
  return (createRequire(framework)('express') as { application: ExpressApplication }).application;
}

function answer(req: Request, res: Response, error: unknown, logger: Logger): void {
  // As Express's own final handler does: a response already under way can only be cut off.
  if (res.headersSent) return void req.socket.destroy();
  const reply = frameworkErrorReply(req.method, error);
  // The caller's mistakes are answered, as the functions' own 4xx are, not logged. Never the error's
  // message: a parser's may quote the body.
  if (reply.status >= 500) logger.error('request failed before the function ran', { method: req.method, type: typeOf(error) });
  const send = () => sendError(res, reply);
  if (req.complete) return send();
  // Answer once the body is read, so the client is not cut off while it is still sending.
  req.once('end', send);
  req.resume();
}

/** The body parsers' errors (`type` of an http-errors error), in our words. */
const BODY_ERRORS: Record<string, ErrorReply> = {
  'charset.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'the charset of the request body is not supported; send UTF-8',
  },
  'encoding.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'the Content-Encoding of the request body is not supported',
  },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'request body is too large' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: 'the form in the request body has too many fields' },
  'querystring.parse.rangeError': { status: 400, code: 'bad_request', message: 'the form in the request body is nested too deeply' },
  'request.aborted': { status: 400, code: 'bad_request', message: 'request body ended before it was complete' },
  'request.size.invalid': { status: 400, code: 'bad_request', message: 'request body size does not match its Content-Length' },
};

/**
 * What the caller is told when the framework could not run the function. No error means no route
 * matched, which only happens to CloudEvent functions: they take POST alone. An error with a client
 * status comes from a body parser; one without, from the CloudEvent middleware meeting a body that is
 * not an object.
 */
export function frameworkErrorReply(method: string, error: unknown): ErrorReply {
  const wrongMethod: ErrorReply = {
    status: 405,
    code: 'method_not_allowed',
    message: `${method} is not allowed; use POST`,
    headers: { Allow: 'POST' },
  };
  if (!error) return method === 'POST' ? { status: 404, code: 'not_found', message: 'no route for this request' } : wrongMethod;
  const status = httpStatusOf(error);
  if (status === undefined)
    return method === 'POST' ? { status: 400, code: 'bad_request', message: 'request is not a CloudEvent' } : wrongMethod;
  if (status >= 500) return { status: 500, code: 'internal', message: 'the request could not be read; retry later' };
  const type = typeOf(error);
  if (type === 'entity.parse.failed')
    return { status: 400, code: 'bad_request', message: `request body is ${describeJsonSyntaxError(error)}` };
  return BODY_ERRORS[type] ?? { status, code: 'bad_request', message: 'request body could not be read' };
}

/** The body parsers name each of their errors by a `type`; nothing else does. */
function typeOf(error: unknown): string {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : 'unknown';
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}
