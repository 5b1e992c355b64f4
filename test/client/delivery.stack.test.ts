import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../functions/client/build.ts';
import type { createTracker } from '../../functions/client/node.ts';
import type { Tracker, TrackerOptions } from '../../functions/client/tracker.ts';
import { freePort } from '../../functions/local/emulators.ts';
import { LOCAL } from '../../functions/local/local-settings.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import { startStack, type RunningStack } from '../sim/local-stack.ts';
import { processGroupListeningOn } from '../support/listening-process.ts';

// The client as a shop uses it, against `npm start`'s own stack (its emulators, functions and a fresh
// DuckDB warehouse): the script-tag bundle in headless Chromium (Debian's `chromium`), Node's bundle in
// Node. Faults are real: Chromium's offline mode; collect's processes frozen (SIGSTOP: connections
// open, nothing answers); the Pub/Sub emulator frozen, so collect's publish passes its deadline and
// collect answers 503. Every event must be learned once, and stored once in the warehouse.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MISSING = existsSync(CHROMIUM)
  ? null
  : `Chromium is missing at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium), or set CHROMIUM_PATH.`;
/** collect's publish deadline here: a frozen Pub/Sub is answered 503 after it. */
const PUBLISH_DEADLINE_MS = 1000;
/** Longest a fault lasts: it ends once the client failed twice, or after this. */
const FAULT_MAX_MS = 12_000;
const SLOW = { timeout: 90_000 };

const MILK = { sku: 'sku-oat-1l', name: 'Oat drink 1 l', category: 'dairy-alternatives', brand: 'Oatly', price: 2.49 };

type Shopper = { id: string; token: string };
/** What each scenario sent, to be counted in the warehouse at the end. */
const ledger: { scenario: string; shopper: string; sent: number; requests?: number; retries?: number }[] = [];

let stack: RunningStack;
let pubsubPort: number;
let bundles: string;
let site: { url: string; server: Server };
let browser: Browser | undefined;
let collectUrl: string;
let usersUrl: string;

beforeAll(async () => {
  bundles = mkdtempSync(join(tmpdir(), 'client-bundles-'));
  await buildClient(bundles);
  pubsubPort = await freePort();
  stack = await startStack(120_000, { PUBSUB_EMULATOR_PORT: String(pubsubPort), PUBLISH_DEADLINE_MS: String(PUBLISH_DEADLINE_MS) });
  collectUrl = `http://127.0.0.1:${stack.ports.collect}`;
  usersUrl = `http://127.0.0.1:${stack.ports.users}`;
  site = await serveShopPage(bundles);
  if (!MISSING) browser = await chromium.launch({ executablePath: CHROMIUM });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  site?.server.close();
  await stack?.stop();
});

async function newShopper(scenario: string): Promise<Shopper> {
  const id = `client-${scenario}-${crypto.randomUUID()}`;
  const token = await mintShopperToken(id, { key: LOCAL.tokenKey, issuer: LOCAL.tokenIssuer, audience: LOCAL.tokenAudience, ttlSec: 3600 });
  return { id, token };
}

/** How many of the shopper's events were learned from: `users`' event_count, counted once per event. */
async function learned(shopper: Shopper): Promise<number> {
  const response = await fetch(`${usersUrl}/v1/users/${shopper.id}/preferences`, { headers: { Authorization: `Bearer ${shopper.token}` } });
  return ((await response.json()) as { event_count: number }).event_count;
}

/** Waits until `expected` events are learned, then a moment more, so that a late duplicate would show. */
async function expectLearned(shopper: Shopper, expected: number, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await learned(shopper)) < expected && Date.now() < deadline) await sleep(250);
  await sleep(1500);
  expect(await learned(shopper)).toBe(expected);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` while the process group listening on `port` is stopped, then lets it go on. */
async function frozen<T>(port: number, work: () => Promise<T>): Promise<T> {
  const group = processGroupListeningOn(port);
  process.kill(-group, 'SIGSTOP');
  try {
    return await work();
  } finally {
    process.kill(-group, 'SIGCONT');
  }
}

/** The shop's page: it loads the script-tag bundle from its own origin, and calls collect on another. */
async function serveShopPage(dir: string): Promise<{ url: string; server: Server }> {
  const script = readFileSync(join(dir, 'grocery-loop.min.js'));
  const server = createServer((req, res) => {
    if (req.url === '/grocery-loop.min.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    res
      .writeHead(200, { 'Content-Type': 'text/html' })
      .end('<!doctype html><title>Shop</title><script src="/grocery-loop.min.js"></script><h1>Shop</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** The page's globals the tests use; the project compiles without the DOM's types. */
type ShopWindow = { GroceryLoop: { createTracker: (options: TrackerOptions) => Tracker }; tracker: Tracker };
type PageOptions = Pick<TrackerOptions, 'flushAt' | 'flushIntervalMs' | 'requestTimeoutMs'>;

/** A browser profile of its own: its own localStorage, its own network conditions. */
function newContext(): Promise<BrowserContext> {
  if (!browser) throw new Error(MISSING ?? 'Chromium did not start');
  return browser.newContext();
}

async function openShop(context: BrowserContext, shopper: Shopper, options: PageOptions = {}): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.url);
  await page.evaluate(
    ({ endpoint, token, options }) => {
      const shop = globalThis as unknown as ShopWindow;
      // A token provider, as a shop with a sign-in session would pass.
      shop.tracker = shop.GroceryLoop.createTracker({ endpoint, token: async () => token, ...options });
    },
    { endpoint: collectUrl, token: shopper.token, options },
  );
  return page;
}

/** A search, a click on its first result, a cart add and an order, in the page. */
function shopInPage(page: Page, orderId: string): Promise<number> {
  return page.evaluate(
    ({ milk, orderId }) => {
      const { tracker } = globalThis as unknown as ShopWindow;
      const searchId = tracker.trackSearch({ query: 'oat milk', results: [milk.sku, 'sku-soy-1l'] });
      const ids = [
        tracker.trackClick(searchId, milk, 1),
        tracker.trackCartAdd({ product: milk, quantity: 1, cart_value: milk.price, search_id: searchId }),
        tracker.trackOrder({ order_id: orderId, total: milk.price, currency: 'EUR', items: [{ ...milk, quantity: 1 }] }),
      ];
      return 1 + ids.filter((id) => id !== null).length;
    },
    { milk: MILK, orderId },
  );
}

const stats = (page: Page) => page.evaluate(() => (globalThis as unknown as ShopWindow).tracker.stats());

/** POSTs to collect a page made, and how collect answered them. */
function watchCollect(page: Page): { posts: number; statuses: number[] } {
  const seen = { posts: 0, statuses: [] as number[] };
  page.on('request', (request) => {
    if (request.url().startsWith(collectUrl) && request.method() === 'POST') seen.posts += 1;
  });
  page.on('response', (response) => {
    if (response.url().startsWith(collectUrl) && response.request().method() === 'POST') seen.statuses.push(response.status());
  });
  return seen;
}

describe('the script-tag client in Chromium', () => {
  // Leaving for another site is what tells keepalive apart: Chromium cancels a plain fetch of a page
  // navigated away from (these events were lost without it), while a closed tab's requests go on.
  it.each(['closed', 'left for another site'] as const)(
    'delivers a search, a click, a cart add and an order from a page %s without flush',
    async (ending) => {
      const shopper = await newShopper(ending === 'closed' ? 'closed-page' : 'left-page');
      const context = await newContext();
      // Nothing would go before a minute: only leaving the page sends the events.
      const page = await openShop(context, shopper, { flushIntervalMs: 60_000 });
      // A network with 1.5 s of latency: the requests are still on their way when the page is gone.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 1500, downloadThroughput: -1, uploadThroughput: -1 });
      const seen = watchCollect(page);
      const sent = await shopInPage(page, `order-${shopper.id}`);
      expect(sent).toBe(4);
      expect(seen.posts).toBe(0);
      if (ending === 'closed') await page.close();
      else await page.goto('about:blank');
      ledger.push({ scenario: `browser: page ${ending} without flush`, shopper: shopper.id, sent });
      await expectLearned(shopper, sent);
      await context.close();
    },
    SLOW.timeout,
  );

  it('keeps events while offline, drains when back online, and hands what is left to the next page', SLOW, async () => {
    const shopper = await newShopper('offline');
    const context = await newContext();
    const page = await openShop(context, shopper, { flushIntervalMs: 200 });
    await context.setOffline(true);
    const first = await shopInPage(page, 'order-offline-1');
    await sleep(1500);
    expect(await learned(shopper)).toBe(0);
    expect(await stats(page)).toMatchObject({ queued: first, delivered: 0 });
    await context.setOffline(false);
    await expectLearned(shopper, first);
    expect(await stats(page)).toMatchObject({ queued: 0, delivered: first });

    // Offline again, and the page is left: its events stay in localStorage for the next page.
    await context.setOffline(true);
    const second = await shopInPage(page, 'order-offline-2');
    const left = await stats(page);
    await page.close();
    await context.setOffline(false);
    const next = await openShop(context, shopper, { flushIntervalMs: 200 });
    ledger.push({ scenario: 'browser: offline, online, next page', shopper: shopper.id, sent: first + second });
    await expectLearned(shopper, first + second);
    const nextStats = await stats(next);
    expect(nextStats).toMatchObject({ queued: 0, delivered: second });
    Object.assign(ledger.at(-1) ?? {}, { requests: left.requests + nextStats.requests, retries: left.retries + nextStats.retries });
    await context.close();
  });

  it('delivers every event once while collect answers 503 for a while', SLOW, async () => {
    const shopper = await newShopper('503-browser');
    const context = await newContext();
    const page = await openShop(context, shopper, { flushIntervalMs: 100, flushAt: 3 });
    const seen = watchCollect(page);
    let sent = 0;
    await frozen(pubsubPort, async () => {
      for (let trip = 1; trip <= 3; trip++) sent += await shopInPage(page, `order-503-${trip}`);
      const deadline = Date.now() + FAULT_MAX_MS;
      while (seen.statuses.filter((s) => s === 503).length < 2 && Date.now() < deadline) await sleep(100);
    });
    expect(seen.statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(2);
    await expectLearned(shopper, sent);
    const { requests, retries } = await stats(page);
    expect(await stats(page)).toMatchObject({ queued: 0, delivered: sent, rejected: 0 });
    ledger.push({ scenario: 'browser: collect answered 503', shopper: shopper.id, sent, requests, retries });
    await context.close();
  });
});

/** Node's bundle, as the shop's server imports it. */
async function nodeClient(): Promise<typeof createTracker> {
  const module = (await import(pathToFileURL(join(bundles, 'node.mjs')).href)) as { createTracker: typeof createTracker };
  return module.createTracker;
}

/** A shop server process that tracks a trip and then ends, by itself or by `shutdown` and `process.exit`. */
function serverProcess(
  shopper: Shopper,
  ending: 'exit on its own' | 'shutdown, then process.exit',
): Promise<{ code: number | null; output: string }> {
  const script = `
    const { createTracker } = await import(process.env.CLIENT_URL);
    const tracker = createTracker({ endpoint: process.env.COLLECT_URL, token: process.env.TOKEN, flushIntervalMs: 60000 });
    const milk = ${JSON.stringify(MILK)};
    const searchId = tracker.trackSearch({ query: 'oat milk', results: [milk.sku] });
    tracker.trackClick(searchId, milk, 1);
    tracker.trackCartAdd({ product: milk, quantity: 1, cart_value: milk.price, search_id: searchId });
    tracker.trackOrder({ order_id: 'order-' + process.pid, total: milk.price, items: [{ ...milk, quantity: 1 }] });
    if (process.env.ENDING === 'shutdown, then process.exit') {
      process.stdout.write(JSON.stringify(await tracker.shutdown()));
      process.exit(0);
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...process.env,
      CLIENT_URL: pathToFileURL(join(bundles, 'node.mjs')).href,
      COLLECT_URL: collectUrl,
      TOKEN: shopper.token,
      ENDING: ending,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('the Node client', () => {
  it.each(['exit on its own', 'shutdown, then process.exit'] as const)(
    'delivers a trip from a process that ends: %s',
    async (ending) => {
      const shopper = await newShopper('node-exit');
      const { code, output } = await serverProcess(shopper, ending);
      expect(code, output).toBe(0);
      if (ending !== 'exit on its own') expect(JSON.parse(output)).toEqual({ pending: 0 });
      ledger.push({ scenario: `node: process ${ending}`, shopper: shopper.id, sent: 4 });
      await expectLearned(shopper, 4);
    },
    SLOW.timeout,
  );

  it('delivers every event once after collect stopped answering for a while', SLOW, async () => {
    const shopper = await newShopper('node-frozen-collect');
    const create = await nodeClient();
    const tracker = create({ endpoint: collectUrl, token: shopper.token, flushAt: 2, flushIntervalMs: 100, requestTimeoutMs: 1000 });
    let sent = 0;
    await frozen(stack.ports.collect, async () => {
      for (let i = 0; i < 6; i++) sent += tracker.trackView({ product: MILK }) ? 1 : 0;
      const deadline = Date.now() + FAULT_MAX_MS;
      while (tracker.stats().retries < 2 && Date.now() < deadline) await sleep(100);
    });
    expect(tracker.stats().retries).toBeGreaterThanOrEqual(2);
    await expect(tracker.shutdown()).resolves.toEqual({ pending: 0 });
    const { requests, retries } = tracker.stats();
    ledger.push({ scenario: 'node: collect frozen', shopper: shopper.id, sent, requests, retries });
    await expectLearned(shopper, sent);
  });

  it('delivers every event once while collect answers 503 for a while', SLOW, async () => {
    const shopper = await newShopper('503-node');
    const create = await nodeClient();
    const statuses: number[] = [];
    const tracker = create({
      endpoint: collectUrl,
      token: shopper.token,
      flushAt: 3,
      flushIntervalMs: 100,
      // The platform's fetch, watched.
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        statuses.push(response.status);
        return response;
      },
    });
    let sent = 0;
    await frozen(pubsubPort, async () => {
      for (let i = 0; i < 10; i++) sent += tracker.trackView({ product: MILK }) ? 1 : 0;
      const deadline = Date.now() + FAULT_MAX_MS;
      while (statuses.filter((s) => s === 503).length < 2 && Date.now() < deadline) await sleep(100);
    });
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(2);
    await expect(tracker.shutdown()).resolves.toEqual({ pending: 0 });
    expect(tracker.stats()).toMatchObject({ delivered: sent, rejected: 0, queued: 0 });
    const { requests, retries } = tracker.stats();
    ledger.push({ scenario: 'node: collect answered 503', shopper: shopper.id, sent, requests, retries });
    await expectLearned(shopper, sent);
  });
});

describe('the warehouse, once the stack has stopped', () => {
  it('holds every event sent once: none lost, none twice', SLOW, async () => {
    expect(ledger.length).toBeGreaterThan(0);
    expect(await stack.stop()).toBe(0);
    const instance = await DuckDBInstance.create(stack.warehouseFile, { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      const rows = (
        await connection.runAndReadAll(
          `SELECT user_id, COUNT(*) AS rows, COUNT(DISTINCT event_id) AS events, MAX(n) AS most FROM (
             SELECT user_id, event_id, COUNT(*) OVER (PARTITION BY user_id, event_id) AS n FROM events WHERE starts_with(user_id, 'client-')
           ) GROUP BY user_id`,
        )
      ).getRowObjectsJS() as { user_id: string; rows: bigint; events: bigint; most: bigint }[];
      const stored = new Map(rows.map((row) => [row.user_id, row]));
      const figures = ledger.map(({ scenario, shopper, sent, requests, retries }) => {
        const row = stored.get(shopper);
        const once = Number(row?.events ?? 0n);
        return {
          scenario,
          sent,
          'received once': row && row.most === 1n ? once : 0,
          twice: row ? Number(row.rows) - once : 0,
          lost: sent - once,
          requests,
          retries,
        };
      });
      console.table(figures);
      for (const figure of figures) expect(figure, figure.scenario).toMatchObject({ 'received once': figure.sent, twice: 0, lost: 0 });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
