import { createHook } from 'node:async_hooks';
import type { Request, Response } from '@google-cloud/functions-framework';
import { describe, expect, it } from 'vitest';
import { createCollectHandler } from '../../functions/collect/handler.ts';
import { DEFAULT_TIME_LIMITS } from '../../functions/events/limits.ts';
import { createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { guardHttpFunction } from '../../functions/http/register.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { withDeadlines } from '../../functions/kernel/deadline.ts';
import { createMemoryLogger } from '../../functions/logging/logger.ts';
import { createCollectConsent } from '../../functions/privacy/consent.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { createRecordingBus } from '../support/memory-bus.ts';
import { NOW, TEST_TOKEN, validEvent } from '../support/fixtures.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';

// The Functions Framework runs each request inside a `domain`, whose async hook costs a few µs for every promise the
// request creates (test/bench/RESULTS.md): on collect's hot path, what the caches already know is used without one.

/** Promises created while `work` runs, through its last await. */
async function promisesCreatedBy(work: () => unknown): Promise<number> {
  let count = 0;
  const hook = createHook({
    init: (_id, type) => {
      if (type === 'PROMISE') count += 1;
    },
  }).enable();
  try {
    await work();
  } finally {
    hook.disable();
  }
  return count;
}

/** The least of Express's request and response the handler touches. */
function exchange(token: string, body: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const answer = { status: 0, body: undefined as unknown };
  const res = {
    status: (code: number) => ((answer.status = code), res),
    json: (value: unknown) => ((answer.body = value), res),
    set: () => res,
    vary: () => res,
    end: () => res,
  };
  const text = JSON.stringify(body);
  const req = { method: 'POST', path: '/v1/events', get: (name: string) => headers[name.toLowerCase()], rawBody: Buffer.from(text), body };
  return { req: req as unknown as Request, res: res as unknown as Response, answer };
}

async function collectAsDeployed() {
  const logger = createMemoryLogger();
  const bus = createRecordingBus();
  const bounded = <T extends object>(port: T, name: string) => withDeadlines(port, { ms: 1000, name });
  const handler = createCollectHandler({
    verifier: await createJwtVerifier({ ...TEST_TOKEN, clockToleranceSec: 30 }),
    owner: createEventOwner(bounded({ shopperOf: async () => 'shopper-1' }, 'links')),
    consent: createCollectConsent(bounded({ read: async () => ({ ...DEFAULT_PRIVACY, updated_at: null }) }, 'privacy')),
    bus: { events: bounded(bus.events, 'events'), rejected: bounded(bus.rejected, 'rejected') },
    clock: () => NOW,
    logger,
    timeLimits: DEFAULT_TIME_LIMITS,
    corsOrigins: '*',
  });
  return { handler: guardHttpFunction(handler, logger), bus };
}

describe("collect's hot path", () => {
  it.each([
    ['a shopper', 'shopper-1', {}],
    ['a visitor whose link is known', 'visitor-1', { anonymous: true }],
  ])('answers %s whose token and settings it knows with at most 8 promises, the publish among them', async (_who, subject, claims) => {
    const { handler, bus } = await collectAsDeployed();
    const token = await mintShopperToken(subject, { ...TEST_TOKEN, ...claims });
    const first = exchange(token, { events: [validEvent('search_result_clicked')] });
    await handler(first.req, first.res);
    expect(first.answer.status).toBe(202);

    const second = exchange(token, { events: [validEvent('search_result_clicked')] });
    const promises = await promisesCreatedBy(() => handler(second.req, second.res));
    expect(second.answer).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(bus.events.messages).toHaveLength(2);
    expect(promises).toBeLessThanOrEqual(8);
  });
});
