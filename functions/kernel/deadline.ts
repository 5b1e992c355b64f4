/**
 * A remote call that did not answer in time. Transient by nature: an HTTP function answers 503 with
 * `Retry-After`, ingest throws so that Pub/Sub redelivers. The message names the call, never its arguments.
 */
export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
  /** The call, as `port.method`, e.g. `privacy.read`. */
  readonly call: string;
  readonly deadlineMs: number;

  constructor(call: string, deadlineMs: number) {
    super(`${call} did not answer within ${deadlineMs} ms`);
    this.call = call;
    this.deadlineMs = deadlineMs;
  }
}

/**
 * `work`'s outcome, or a `DeadlineExceeded` once `ms` have passed. The work itself goes on (a promise
 * cannot be cancelled): bound the client underneath too, so abandoned calls end on their own. `onPassed` is told when
 * the deadline wins. One promise and one timer per call: this wraps every remote call of collect's hot path.
 */
export function withDeadline<T>(work: PromiseLike<T>, ms: number, call: string, onPassed?: (error: DeadlineExceeded) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // Whichever settles first wins; the promise ignores the other.
    const timer = setTimeout(() => {
      const error = new DeadlineExceeded(call, ms);
      onPassed?.(error);
      reject(error);
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the call's own failure, passed on unchanged
        reject(error);
      },
    );
  });
}

export type DeadlineOptions = {
  /** Longest wait for each call, ms. */
  ms: number;
  /** How the calls are named in errors and logs: `<name>.<method>`. */
  name: string;
  /** Told about every call that passed its deadline, e.g. to log it. */
  onPassed?: (error: DeadlineExceeded) => void;
};

/**
 * The port with a deadline on each of its methods that answers a promise; other members are passed
 * through. Applied where the adapters are built, so every adapter gets the same rule without knowing it.
 */
export function withDeadlines<T extends object>(port: T, options: DeadlineOptions): T {
  const bounded: Record<string, unknown> = {};
  for (const key of methodNames(port)) {
    const method = (port as Record<string, unknown>)[key];
    if (typeof method !== 'function') continue;
    bounded[key] = (...args: unknown[]): unknown => {
      const result: unknown = method.apply(port, args);
      if (!isThenable(result)) return result;
      return withDeadline(result, options.ms, `${options.name}.${key}`, options.onPassed);
    };
  }
  return Object.assign(Object.create(Object.getPrototypeOf(port) as object | null) as T, port, bounded);
}

/** Own enumerable keys and the methods of the port's class, for ports built as class instances. */
function methodNames(port: object): Set<string> {
  const names = new Set(Object.keys(port));
  for (let proto: unknown = Object.getPrototypeOf(port); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names.add(name);
  }
  return names;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
