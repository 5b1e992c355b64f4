import * as ff from '@google-cloud/functions-framework';
import type { CloudEvent, CloudEventFunction, HttpFunction } from '@google-cloud/functions-framework';
import { createLogger, type Logger } from '../logging/logger.ts';
import { answerFrameworkErrorsAsJson } from './framework-errors.ts';
import { sendError } from './reply.ts';

/**
 * Registers an HTTP function behind the guard every function shares: what fails before it runs and
 * whatever it throws are answered as short JSON errors, never with an error's text or stack. `logger`
 * (default: one labelled with the function's name) logs what it throws.
 */
export function registerHttpFunction(name: string, handler: HttpFunction, options: { logger?: Logger } = {}): void {
  answerFrameworkErrorsAsJson();
  ff.http(name, guardHttpFunction(handler, options.logger ?? createLogger({ labels: { function: name } })));
}

/** Registers a CloudEvent function behind the same guard; a failed delivery still answers 500, so it is redelivered. */
export function registerCloudEventFunction<T>(name: string, handler: CloudEventFunction<T>, options: { logger?: Logger } = {}): void {
  answerFrameworkErrorsAsJson();
  ff.cloudEvent<T>(name, guardCloudEventFunction(handler, options.logger ?? createLogger({ labels: { function: name } })));
}

/** A handler answers its own failures; what escapes it is logged and answered 500 in our words. */
export function guardHttpFunction(handler: HttpFunction, logger: Logger): HttpFunction {
  const failed = (req: Parameters<HttpFunction>[0], res: Parameters<HttpFunction>[1], error: unknown) => {
    logger.error('request failed', { method: req.method, error });
    // Half an answer must not pass for a whole one.
    if (res.headersSent) return void res.destroy();
    sendError(res, { status: 500, code: 'internal', message: 'the request could not be handled; it has been logged' });
  };
  // Not an async function: inside the framework's per-request domain each promise costs a few µs, and this one
  // wraps every request of every HTTP function.
  return (req, res) => {
    let answer: unknown;
    try {
      answer = handler(req, res);
    } catch (error) {
      return failed(req, res, error);
    }
    return answer instanceof Promise ? answer.catch((error: unknown) => failed(req, res, error)) : undefined;
  };
}

/**
 * A CloudEvent handler throws only what is worth a retry. The cause is logged here; the framework is
 * handed an error of our own, as it writes the message of what it is handed into the response.
 */
export function guardCloudEventFunction<T>(handler: CloudEventFunction<T>, logger: Logger): CloudEventFunction<T> {
  return async (event: CloudEvent<T>) => {
    try {
      await handler(event);
    } catch (error) {
      logger.error('delivery failed; it will be redelivered', { event_id: event.id, error });
      throw new DeliveryFailed(error);
    }
  };
}

/** What the framework is handed: our words for the caller, the cause kept for whoever holds the error in process. */
class DeliveryFailed extends Error {
  constructor(cause: unknown) {
    super('the delivery failed and will be retried; the cause is in the log', { cause });
    this.name = 'DeliveryFailed';
    // The framework prints the stack of what it is handed; this one would only point here.
    this.stack = `${this.name}: ${this.message}`;
  }
}
