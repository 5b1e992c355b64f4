import { create as createDomain } from 'node:domain';
import { event } from './collect-body.ts';
import type { Request, Response } from '@google-cloud/functions-framework';
import { trackEverything } from '../../functions/collect/consent.ts';
import { createCollectHandler } from '../../functions/collect/handler.ts';
import { createJwtVerifier } from '../../functions/http/bearer-auth.ts';
import { createEventOwner } from '../../functions/identity/owner.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { createLogger } from '../../functions/logging/logger.ts';
import { DEFAULT_TIME_LIMITS } from '../../functions/events/limits.ts';

// `node test/bench/collect-own-work.ts`: the CPU collect's handler spends per request on its own, in one process with
// no server and a publisher that discards: what the Functions Framework and Pub/Sub cost is left out, and so is most
// of the noise of a shared machine. Requests are the benchmark's (`collect.bench.ts`), already parsed as the framework
// parses them. Each size is measured twice: called directly, and as the Functions Framework calls a handler, inside a
// domain of its own, where every promise created costs a few µs more (the domain's async hook). Options: --requests=N.

const REQUESTS = Number(process.argv.find((a) => a.startsWith('--requests='))?.split('=')[1] ?? 20_000);
const KEY = 'bench-signing-key-that-is-long-enough-0123456789';

const token = await mintShopperToken('bench-shopper', { key: KEY, issuer: 'grocery-shop', audience: 'learning-loop', ttlSec: 3600 });
const discard = { publish: async () => 'discarded' };
const handler = createCollectHandler({
  verifier: await createJwtVerifier({ key: KEY, issuer: 'grocery-shop', audience: 'learning-loop', clockToleranceSec: 30 }),
  bus: { events: discard, rejected: discard },
  // Nobody linked: the benchmark's shoppers are logged in, so no link is read.
  owner: createEventOwner({ shopperOf: async () => null }),
  consent: trackEverything,
  clock: () => new Date(),
  logger: createLogger({ minSeverity: 'ERROR' }),
  timeLimits: DEFAULT_TIME_LIMITS,
  corsOrigins: '*',
});

/** The least of Express's request and response that the handler touches. */
function exchange(text: string): { req: Request; res: Response; answered: () => number } {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let status = 0;
  const res = {
    status(code: number) {
      status = code;
      return res;
    },
    json: () => res,
    set: () => res,
    vary: () => res,
    end: () => res,
  };
  const req = {
    method: 'POST',
    path: '/v1/events',
    get: (name: string) => headers[name.toLowerCase()],
    rawBody: Buffer.from(text),
    body: JSON.parse(text) as unknown,
  };
  return { req: req as unknown as Request, res: res as unknown as Response, answered: () => status };
}

/** As the framework's `wrapHttpFunction` does: a new domain per request, the handler run on the next tick inside it. */
function inDomain(run: () => unknown): Promise<unknown> {
  return new Promise((resolve) => createDomain().run(() => process.nextTick(() => resolve(run()))));
}

for (const [size, framed] of [
  [1, false],
  [100, false],
  [1, true],
  [100, true],
] as const) {
  const now = new Date().toISOString();
  const texts = Array.from({ length: 50 }, () => JSON.stringify({ events: Array.from({ length: size }, () => event(now)) }));
  const run = async (count: number) => {
    let cpu = 0;
    for (let i = 0; i < count; i++) {
      // Parsing is the framework's work, done before the handler runs: outside the measurement.
      const { req, res, answered } = exchange(texts[i % texts.length] ?? '');
      const before = process.cpuUsage();
      await (framed ? inDomain(() => handler(req, res)) : handler(req, res));
      const used = process.cpuUsage(before);
      cpu += used.user + used.system;
      if (answered() !== 202) throw new Error(`answered ${answered()}`);
    }
    return cpu / count;
  };
  await run(Math.min(REQUESTS, 5000));
  const perRequest = await run(REQUESTS);
  process.stdout.write(
    `${size} event${size > 1 ? 's' : ''}${framed ? ', in a domain as the framework runs it' : ''}: ${perRequest.toFixed(1)} µs of CPU per request (${(perRequest / size).toFixed(2)} µs per event)\n`,
  );
}
