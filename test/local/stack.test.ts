import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '../../functions/adapters/local/duckdb-warehouse.ts';
import { freePort, portAccepts } from '../../functions/local/emulators.ts';
import { CHARTS } from '../../functions/operators/dashboard-page.ts';

// What a newcomer does after `npm start`: paste the printed curl, see the event published, stored
// and learned from, press Ctrl-C.

type Stack = { child: ChildProcess; waitFor: (pattern: RegExp, ms: number) => Promise<RegExpMatchArray>; exited: Promise<number | null> };

function startStack(env: NodeJS.ProcessEnv): Stack {
  const child = spawn(process.execPath, ['functions/local/stack.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const waitFor = async (pattern: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const match = output.match(pattern);
      if (match) return match;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`did not see ${pattern} in:\n${output.slice(-5000)}`);
  };
  return { child, waitFor, exited };
}

const stacks: Stack[] = [];
afterAll(async () => {
  // Ctrl-C, as a person would: the stack stops the emulators and functions it started.
  for (const stack of stacks) {
    if (stack.child.exitCode === null) {
      stack.child.kill('SIGINT');
      await stack.exited;
    }
  }
});

describe('npm start', () => {
  it('runs the loop: the printed curl is published, stored, learned from; Ctrl-C stops everything', async () => {
    const ports = {
      COLLECT_PORT: await freePort(),
      INGEST_PORT: await freePort(),
      STORE_REJECTED_PORT: await freePort(),
      USERS_PORT: await freePort(),
      PATTERNS_PORT: await freePort(),
      OPERATORS_PORT: await freePort(),
      ERASURE_PORT: await freePort(),
      RETENTION_PORT: await freePort(),
      METRICS_PORT: await freePort(),
      HISTORY_PORT: await freePort(),
      PUBSUB_EMULATOR_PORT: await freePort(),
      FIRESTORE_EMULATOR_PORT: await freePort(),
    };
    const env = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    const warehouseFile = join(mkdtempSync(join(tmpdir(), 'stack-')), 'warehouse.duckdb');
    const stack = startStack({ ...env, WAREHOUSE_FILE: warehouseFile });
    stacks.push(stack);

    await stack.waitFor(/local stack ready/, 90_000);
    const curl = (await stack.waitFor(/curl -sS -X POST[\s\S]*?-d '.*'/, 1_000))[0];
    const readPreferences = (await stack.waitFor(/curl -sS http:\/\/\S+\/v1\/users\/shopper-1\/preferences .*/, 1_000))[0];
    expect(curl).toContain(`http://127.0.0.1:${ports.COLLECT_PORT}/v1/events`);

    const sent = spawnSync('bash', ['-c', curl], { encoding: 'utf8' });
    expect(JSON.parse(sent.stdout)).toMatchObject({ accepted: 1, rejected: [] });
    const eventId = /"event_id":"([0-9a-f-]{36})"/.exec(curl)?.[1];
    await stack.waitFor(new RegExp(`"message":"published to events".*search_performed ${eventId}`), 20_000);
    await stack.waitFor(/"message":"message ingested".*"learned":1/, 20_000);

    // The same token with a broken event: answered with a reason, and kept in rejected_events.
    const broken = spawnSync('bash', ['-c', curl.replace('"type":"search_performed"', '"type":"search_done"')], { encoding: 'utf8' });
    expect(JSON.parse(broken.stdout).rejected[0].reason).toMatch(/is not an event type/);
    await stack.waitFor(/"message":"rejected events stored".*"rows":1/, 20_000);

    const firestore = new Firestore({ projectId: 'demo-grocery-loop', host: `127.0.0.1:${ports.FIRESTORE_EMULATOR_PORT}`, ssl: false });
    const preferences = (await firestore.collection('preferences').doc('shopper-1').get()).data();
    expect(preferences).toMatchObject({ user_id: 'shopper-1', event_count: 1 });
    await firestore.terminate();

    // The learning-status read the banner prints.
    const status = spawnSync('bash', ['-c', readPreferences], { encoding: 'utf8' });
    expect(JSON.parse(status.stdout)).toMatchObject({ user_id: 'shopper-1', event_count: 1 });

    // Two orders of milk and bread, a week and a day ago (by the shopper's clock, sent now), then the
    // patterns job, run now as an operator would: the patterns land beside what was learned.
    const token = /Bearer ([\w.-]+)/.exec(curl)?.[1] ?? '';
    const now = Date.now();
    const orders = [7, 1].map((daysAgo) => ({
      event_id: crypto.randomUUID(),
      type: 'order_completed',
      session_id: 'session-1',
      occurred_at: new Date(now - daysAgo * 86_400_000).toISOString(),
      sent_at: new Date(now).toISOString(),
      data: {
        order_id: `order-${daysAgo}`,
        total: 3.5,
        items: [
          { sku: 'milk', name: 'Oat milk', category: 'Dairy alternatives', brand: 'Oatly', price: 2, quantity: 1, dietary_tags: ['vegan'] },
          { sku: 'bread', name: 'Rye bread', category: 'Bakery', brand: 'Hovis', price: 1.5, quantity: 1 },
        ],
      },
    }));
    const ordered = await fetch(`http://127.0.0.1:${ports.COLLECT_PORT}/v1/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: orders }),
    });
    expect(await ordered.json()).toMatchObject({ accepted: 2, rejected: [] });
    await stack.waitFor(/"message":"message ingested".*"learned":2/, 20_000);

    const job = spawnSync(process.execPath, ['functions/local/run-job.ts', 'patterns'], { env, encoding: 'utf8' });
    expect(job.status, job.stderr).toBe(0);
    expect(JSON.parse(job.stdout)).toMatchObject({ shoppers: 1, changed: 1 });
    const withPatterns = new Firestore({ projectId: 'demo-grocery-loop', host: `127.0.0.1:${ports.FIRESTORE_EMULATOR_PORT}`, ssl: false });
    const document = (await withPatterns.collection('preferences').doc('shopper-1').get()).data();
    await withPatterns.terminate();
    expect(document).toMatchObject({
      event_count: 3,
      patterns: {
        regular_items: [
          { sku: 'bread', purchases: 2, avg_interval_days: 6, frequency: 'weekly' },
          { sku: 'milk', purchases: 2, avg_interval_days: 6, frequency: 'weekly' },
        ],
        schedule: { orders: 2, avg_interval_days: 6 },
        dietary: [{ tag: 'vegan', tagged_lines: 2, lines: 4 }],
        bought_together: [
          { sku: 'bread', with_sku: 'milk', together: 2, confidence: 1 },
          { sku: 'milk', with_sku: 'bread', together: 2, confidence: 1 },
        ],
      },
    });

    // The shopper's learning status: milk and bread, bought in two orders, are regular items.
    const learningStatus = await fetch(`http://127.0.0.1:${ports.USERS_PORT}/v1/users/shopper-1/learning-status`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(await learningStatus.json()).toMatchObject({ user_id: 'shopper-1', state: 'learning', regular_item_count: 2, event_count: 3 });

    // The operators' dashboard over the local warehouse: the last hour holds the search and the broken event,
    // and job_runs the patterns run.
    const page = await fetch(`http://127.0.0.1:${ports.OPERATORS_PORT}/dashboard?hours=1`);
    expect(page.status).toBe(200);
    expect((await page.text()).match(/<svg /g)).toHaveLength(CHARTS.length);
    const dashboard = (await (await fetch(`http://127.0.0.1:${ports.OPERATORS_PORT}/v1/dashboard/data?hours=1`)).json()) as {
      events: number;
      rejected: { total: number };
      job_runs: { job: string; status: string }[];
    };
    expect(dashboard).toMatchObject({ events: 1, rejected: { total: 1 } });
    expect(dashboard.job_runs).toContainEqual(expect.objectContaining({ job: 'patterns', status: 'succeeded' }));

    // The learning metrics of the last two days, as an operator would backfill them: the one search
    // (not personalized, not clicked), and yesterday's order, whose brands match the week-old one's.
    const metricsRun = spawnSync(
      process.execPath,
      [
        'functions/local/run-job.ts',
        'metrics',
        '--as-of',
        new Date().toISOString(),
        '--since',
        new Date(now - 2 * 86_400_000).toISOString(),
      ],
      {
        env,
        encoding: 'utf8',
      },
    );
    expect(metricsRun.status, metricsRun.stderr).toBe(0);
    const { metrics } = JSON.parse(metricsRun.stdout) as {
      metrics: { metric: string; dimension: string; value: number; numerator: number; denominator: number }[];
    };
    expect(metrics).toContainEqual(expect.objectContaining({ metric: 'ctr', dimension: '', numerator: 0, denominator: 1 }));
    expect(metrics).toContainEqual(expect.objectContaining({ metric: 'ctr', dimension: 'not_personalized', numerator: 0, denominator: 1 }));
    expect(metrics).toContainEqual(expect.objectContaining({ metric: 'brand_accuracy', numerator: 2, denominator: 2 }));
    expect(metrics).toContainEqual(expect.objectContaining({ metric: 'avg_cart_value', value: 3.5, denominator: 1 }));

    stack.child.kill('SIGINT');
    expect(await stack.exited).toBe(0);
    // Nothing the stack started still listens. (Whether a port could be bound again is not the question:
    // any process's outgoing connection may have been given the same number as its local port since.)
    for (const [name, port] of Object.entries(ports)) expect(await portAccepts(port), name).toBe(false);
    // The functions checkpointed the warehouse as they stopped: its file holds every row, and no log is left beside it.
    expect(existsSync(`${warehouseFile}.wal`) ? statSync(`${warehouseFile}.wal`).size : 0).toBe(0);
    const warehouse = await createDuckDbWarehouse(warehouseFile);
    const [stored] = await warehouse.sql(
      'SELECT (SELECT count(*) FROM events)::INTEGER AS events, (SELECT count(*) FROM rejected_events)::INTEGER AS rejected',
    );
    await warehouse.close();
    expect(stored).toEqual({ events: 3, rejected: 1 });
  }, 150_000);

  it('says what to install when gcloud or Java is missing', () => {
    const result = spawnSync(process.execPath, ['functions/local/stack.ts'], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('gcloud is not on PATH: install the Google Cloud SDK');
    expect(result.stderr).toContain('java is not on PATH');
  });
});
