import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { z } from 'zod';

// `npm run smoke -- <collect URL> <users URL>`, with the smoke shopper's token in SMOKE_TOKEN (or --token):
// after a deploy, or against `npm start`, one shopper's short session goes through the whole loop —
// collect, Pub/Sub, ingest, the preference document, users — and is erased again. Each step is printed
// with its time; the first that fails ends the check with exit code 1. The token is never printed.

/** Each HTTP call's deadline: a function's cold start takes seconds, a hung call must not stall the check. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How often a step that waits (learning, erasure) asks again. */
export const POLL_INTERVAL_MS = 500;
/** Push delivery, ingest and Firestore take well under a second locally and seconds after a cold start. */
export const DEFAULT_LEARN_TIMEOUT_MS = 2 * 60_000;
/**
 * The local erasure job runs every 5 minutes (ERASURE_EVERY_MINUTES). In production it runs hourly and
 * defers rows still in BigQuery's streaming buffer (about 90 minutes): there, pass `--erasure-timeout 3h`,
 * or 0 to request the erasure without waiting for it.
 */
export const DEFAULT_ERASURE_TIMEOUT_MS = 10 * 60_000;

export const USAGE =
  `usage: npm run smoke -- <collect URL> <users URL> [--token <JWT>] [--learn-timeout ${DEFAULT_LEARN_TIMEOUT_MS / 60_000}m] [--erasure-timeout ${DEFAULT_ERASURE_TIMEOUT_MS / 60_000}m]\n` +
  "  the token (better: the SMOKE_TOKEN environment variable) is the smoke shopper's; locally `npm run -s token -- smoke-check`";

export type SmokeOptions = {
  collectUrl: string;
  usersUrl: string;
  token: string;
  /** How long the preference document may take to show the session. */
  learnTimeoutMs: number;
  /** How long the erasure may take to complete; 0: request it and do not wait. */
  erasureTimeoutMs: number;
};

export type SmokeDeps = {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  clock: { now(): number; sleep(ms: number): Promise<void> };
  print: (line: string) => void;
  newId?: () => string;
};

export type StepReport = { step: string; ok: boolean; ms: number; detail: string };
export type SmokeResult = { ok: boolean; steps: StepReport[] };

type Outcome<T> = { ok: true; value: T; detail: string } | { ok: false; reason: string };
const done = <T>(value: T, detail: string): Outcome<T> => ({ ok: true, value, detail });
const failed = (reason: string): Outcome<never> => ({ ok: false, reason });

export class UsageError extends Error {}

/** The command line and environment, checked: two http(s) URLs and a token whose subject is the smoke shopper. */
export function parseSmokeArgs(args: string[], env: NodeJS.ProcessEnv): SmokeOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { token: { type: 'string' }, 'learn-timeout': { type: 'string' }, 'erasure-timeout': { type: 'string' } },
  });
  const [collectUrl, usersUrl, ...rest] = positionals;
  if (!collectUrl || !usersUrl || rest.length > 0) throw new UsageError(USAGE);
  for (const [name, url] of [
    ['collect', collectUrl],
    ['users', usersUrl],
  ] as const) {
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`the ${name} URL must be an http(s) URL, got ${url}\n${USAGE}`);
  }
  const token = values.token ?? env.SMOKE_TOKEN;
  if (!token) throw new UsageError(`a token is needed: set SMOKE_TOKEN (or pass --token)\n${USAGE}`);
  smokeShopper(token);
  return {
    collectUrl,
    usersUrl,
    token,
    learnTimeoutMs: values['learn-timeout'] === undefined ? DEFAULT_LEARN_TIMEOUT_MS : duration('--learn-timeout', values['learn-timeout']),
    erasureTimeoutMs:
      values['erasure-timeout'] === undefined ? DEFAULT_ERASURE_TIMEOUT_MS : duration('--erasure-timeout', values['erasure-timeout']),
  };
}

/** `90s`, `10m`, `3h`, `500ms`, or seconds alone. */
export function duration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} takes a duration such as 90s, 10m or 3h, got ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** The token's subject: the shopper the check acts as. Read, not verified: collect and users verify it. */
export function smokeShopper(token: string): string {
  let subject: unknown;
  try {
    subject = decodeJwt(token).sub;
  } catch {
    throw new UsageError('the token is not a JWT');
  }
  if (typeof subject !== 'string' || subject === '') throw new UsageError('the token names no shopper (no sub claim)');
  return subject;
}

const CollectAnswer = z.object({
  request_id: z.string(),
  accepted: z.number(),
  rejected: z.array(z.object({ index: z.number(), reason: z.string() })),
  dropped: z.number(),
});
const LearningStatus = z.object({ state: z.string(), event_count: z.number() });
const Preferences = z.object({
  event_count: z.number(),
  products: z.array(z.object({ name: z.string() })),
  brands: z.array(z.object({ name: z.string() })),
});
const ErasureAccepted = z.object({ request_id: z.string(), state: z.string() });
const ErasureStatus = z.object({
  state: z.string(),
  attempts: z.number(),
  rows_deleted: z.record(z.string(), z.number()).nullable().optional(),
  last_error: z.string().nullable().optional(),
});

/** The session the smoke shopper sends: a search, a click on its first result, a cart add and an order of that product. */
export function smokeSession(runId: string, now: Date) {
  const at = now.toISOString();
  const product = { sku: `smoke-${runId}`, name: 'Smoke check item', category: 'smoke-check', brand: 'Smoke Check', price: 1 };
  const searchId = `smoke-search-${runId}`;
  const event = (type: string, data: Record<string, unknown>) => ({
    event_id: randomUUID(),
    type,
    session_id: `smoke-${runId}`,
    occurred_at: at,
    sent_at: at,
    data,
  });
  return {
    sku: product.sku,
    events: [
      event('search_performed', {
        search_id: searchId,
        query: 'smoke check',
        results_count: 1,
        results: [{ sku: product.sku, position: 1 }],
        personalized: false,
      }),
      event('search_result_clicked', { search_id: searchId, query: 'smoke check', product, position: 1 }),
      event('cart_item_added', { product, quantity: 1, cart_value: 1, search_id: searchId }),
      event('order_completed', { order_id: `smoke-order-${runId}`, total: 1, items: [{ ...product, quantity: 1 }] }),
    ],
  };
}

/** The two services, called with the smoke shopper's token; a `users` path is below `/v1/users/{shopper}`. */
type Services = {
  collect: (method: string, path: string, body?: unknown) => Promise<HttpAnswer>;
  users: (method: string, path: string) => Promise<HttpAnswer>;
};

/** Runs the check's steps in order, printing each; stops at the first that fails. */
export async function runSmoke(options: SmokeOptions, deps: SmokeDeps): Promise<SmokeResult> {
  const { clock } = deps;
  const shopper = smokeShopper(options.token);
  // Nothing an endpoint answers is printed with the token in it, whatever it echoes.
  const print = (line: string) => deps.print(line.replaceAll(options.token, '<token>'));
  const base = (url: string) => url.replace(/\/+$/, '');
  const usersUrl = (path: string) => `${base(options.usersUrl)}/v1/users/${encodeURIComponent(shopper)}${path}`;
  const services: Services = {
    collect: (method, path, body) => httpJson(deps.fetch, method, `${base(options.collectUrl)}${path}`, options.token, body),
    users: (method, path) => httpJson(deps.fetch, method, usersUrl(path), options.token),
  };
  const steps: StepReport[] = [];
  const started = clock.now();

  async function step<T>(name: string, work: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const at = clock.now();
    const outcome = await work().catch((error: unknown) => failed(error instanceof Error ? error.message : String(error)));
    const ms = clock.now() - at;
    const detail = outcome.ok ? outcome.detail : outcome.reason;
    steps.push({ step: name, ok: outcome.ok, ms, detail });
    print(`  ${outcome.ok ? 'ok  ' : 'FAIL'}  ${name.padEnd(28)} ${seconds(ms).padStart(8)}  ${detail}`);
    return outcome;
  }
  const finish = (ok: boolean): SmokeResult => {
    const failedStep = steps.find((s) => !s.ok);
    print(
      ok ? `smoke check passed in ${seconds(clock.now() - started)}` : `smoke check FAILED at "${failedStep?.step}": ${failedStep?.detail}`,
    );
    return { ok, steps };
  };

  print(`smoke check of collect ${options.collectUrl} and users ${options.usersUrl}, as shopper ${shopper}`);
  const before = await step('users knows the shopper', () => learningSoFar(services));
  if (!before.ok) return finish(false);
  const session = smokeSession((deps.newId ?? randomUUID)().slice(0, 8), new Date(clock.now()));
  const sent = await step('collect takes a session', () => sendSession(services, session.events, session.sku));
  if (!sent.ok) return finish(false);
  const learned = await step('preferences show it', () =>
    poll(
      clock,
      options.learnTimeoutMs,
      () => sessionLearned(services, session.sku, before.value + sent.value),
      (last) =>
        `the preference document did not show the session within ${seconds(options.learnTimeoutMs)} (${last}): is ingest receiving the events topic?`,
    ),
  );
  if (!learned.ok) return finish(false);
  const erasure = await step('erasure requested', () => requestErasure(services));
  if (!erasure.ok) return finish(false);
  const forgotten = await step('preferences forgotten', () => preferencesForgotten(services));
  if (!forgotten.ok) return finish(false);

  if (options.erasureTimeoutMs === 0) {
    print(
      `  skip  ${'erasure completed'.padEnd(28)} ${''.padStart(8)}  not awaited (--erasure-timeout 0): GET ${usersUrl(erasurePath(erasure.value))} later`,
    );
    return finish(true);
  }
  const completed = await step('erasure completed', () =>
    poll(
      clock,
      options.erasureTimeoutMs,
      () => erasureCompleted(services, erasure.value),
      (last) =>
        `the erasure did not complete within ${seconds(options.erasureTimeoutMs)} (${last}); the erasure job runs on its schedule: give --erasure-timeout more time`,
    ),
  );
  return finish(completed.ok);
}

/** Asks `read` until it answers a value or `timeoutMs` has passed; the last reason says what was seen. */
async function poll<T>(
  clock: SmokeDeps['clock'],
  timeoutMs: number,
  read: () => Promise<Outcome<T>>,
  timedOut: (last: string) => string,
): Promise<Outcome<T>> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const outcome = await read();
    if (outcome.ok) return outcome;
    if (clock.now() >= deadline) return failed(timedOut(outcome.reason));
    await clock.sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - clock.now())));
  }
}

/** The events learned from so far: the session must add to them. A shopper who switched learning off cannot pass. */
async function learningSoFar(services: Services): Promise<Outcome<number>> {
  const answer = await services.users('GET', '/learning-status');
  if (answer.status !== 200) return failed(unexpected('users', 'GET learning-status', answer));
  const status = LearningStatus.safeParse(answer.body);
  if (!status.success) return failed(`users answered learning-status without a state and event_count: ${answer.text.slice(0, 300)}`);
  if (status.data.state === 'off')
    return failed(
      'learning is off for the smoke shopper (learn_preferences): nothing would be learned; switch it on or use another shopper',
    );
  return done(status.data.event_count, `learning-status ${status.data.state}, ${status.data.event_count} events learned so far`);
}

async function sendSession(services: Services, events: readonly unknown[], sku: string): Promise<Outcome<number>> {
  const answer = await services.collect('POST', '/v1/events', { events });
  if (answer.status !== 202) return failed(unexpected('collect', 'POST /v1/events', answer));
  const verdict = CollectAnswer.safeParse(answer.body);
  if (!verdict.success) return failed(`collect answered 202 without its verdict: ${answer.text.slice(0, 300)}`);
  const { accepted, rejected, dropped, request_id } = verdict.data;
  if (rejected.length > 0)
    return failed(
      `collect rejected ${rejected.length} of the session's events: ${rejected.map((r) => `#${r.index} ${r.reason}`).join('; ')}`,
    );
  if (dropped > 0) return failed(`collect dropped ${dropped} events: the smoke shopper's privacy settings do not track them`);
  if (accepted !== events.length) return failed(`collect accepted ${accepted} of ${events.length} events`);
  return done(accepted, `${accepted} events accepted (search, click, cart add, order of ${sku}; request ${request_id})`);
}

/** Learned: at least `expected` events counted, and the session's product among the products. */
async function sessionLearned(services: Services, sku: string, expected: number): Promise<Outcome<number>> {
  const answer = await services.users('GET', '/preferences');
  if (answer.status !== 200) return failed(unexpected('users', 'GET preferences', answer));
  const document = Preferences.safeParse(answer.body);
  if (!document.success) return failed(`users answered preferences in another shape: ${answer.text.slice(0, 300)}`);
  const { event_count, products, brands } = document.data;
  if (event_count < expected) return failed(`event_count ${event_count}, expected at least ${expected}`);
  if (!products.some((p) => p.name === sku)) return failed(`event_count ${event_count}, but ${sku} is not among the products`);
  const names = (list: readonly { name: string }[]) =>
    list
      .slice(0, 3)
      .map((a) => a.name)
      .join(', ');
  return done(event_count, `event_count ${event_count}; products ${names(products)}; brands ${names(brands)}`);
}

async function requestErasure(services: Services): Promise<Outcome<string>> {
  const answer = await services.users('DELETE', '/learning-data');
  if (answer.status !== 202) return failed(unexpected('users', 'DELETE learning-data', answer));
  const request = ErasureAccepted.safeParse(answer.body);
  if (!request.success) return failed(`users answered 202 without a request id: ${answer.text.slice(0, 300)}`);
  return done(request.data.request_id, `request ${request.data.request_id}, ${request.data.state}`);
}

/** The request deletes the preference document at once; the erasure job deletes the rest. */
async function preferencesForgotten(services: Services): Promise<Outcome<null>> {
  const answer = await services.users('GET', '/preferences');
  if (answer.status !== 200) return failed(unexpected('users', 'GET preferences', answer));
  const document = Preferences.safeParse(answer.body);
  if (!document.success) return failed(`users answered preferences in another shape: ${answer.text.slice(0, 300)}`);
  if (document.data.event_count !== 0 || document.data.products.length > 0)
    return failed(`the preference document is still there after the request (event_count ${document.data.event_count})`);
  return done(null, 'the preference document was deleted with the request');
}

const erasurePath = (requestId: string) => `/erasures/${encodeURIComponent(requestId)}`;

async function erasureCompleted(services: Services, requestId: string): Promise<Outcome<null>> {
  const answer = await services.users('GET', erasurePath(requestId));
  if (answer.status !== 200) return failed(unexpected('users', 'GET erasures/{requestId}', answer));
  const request = ErasureStatus.safeParse(answer.body);
  if (!request.success) return failed(`users answered the erasure request in another shape: ${answer.text.slice(0, 300)}`);
  const { state, attempts, rows_deleted, last_error } = request.data;
  if (state !== 'completed')
    return failed(
      `still ${state} after ${attempts} run${attempts === 1 ? '' : 's'} of the erasure job${last_error ? `: ${last_error}` : ''}`,
    );
  const rows = Object.entries(rows_deleted ?? {}).filter(([, n]) => n > 0);
  return done(null, `rows deleted: ${rows.map(([table, n]) => `${table} ${n}`).join(', ') || 'none'}`);
}

type HttpAnswer = { status: number; body: unknown; text: string };

/** One call with the shopper's token and a deadline; a network failure or a timeout is said in words. */
async function httpJson(fetchFn: SmokeDeps['fetch'], method: string, url: string, token: string, body?: unknown): Promise<HttpAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetchFn(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError')
      throw new Error(`${method} ${url} did not answer within ${seconds(REQUEST_TIMEOUT_MS)}`, { cause: error });
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new Error(`${method} ${url} could not be reached: ${cause}`, { cause: error });
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the caller says what it expected, with the text.
  }
  return { status: response.status, body: parsed, text };
}

function unexpected(service: string, what: string, answer: HttpAnswer): string {
  const error = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).safeParse(answer.body);
  const said = error.success ? `${error.data.error.code}: ${error.data.error.message}` : answer.text.slice(0, 300);
  const hint = answer.status === 401 ? ' (is the token signed with the key and issuer the deployment expects, and unexpired?)' : '';
  return `${service} answered ${what} with ${answer.status}${said ? ` — ${said}` : ''}${hint}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

if (import.meta.main) {
  try {
    const options = parseSmokeArgs(process.argv.slice(2), process.env);
    const result = await runSmoke(options, {
      fetch,
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      print: (line) => process.stdout.write(`${line}\n`),
    });
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
