import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/local/emulators.ts';
import { LOCAL } from '../../functions/local/local-settings.ts';
import { mintShopperToken } from '../../functions/local/mint-token.ts';
import {
  DEFAULT_ERASURE_TIMEOUT_MS,
  DEFAULT_LEARN_TIMEOUT_MS,
  duration,
  parseSmokeArgs,
  REQUEST_TIMEOUT_MS,
  smokeShopper,
  USAGE,
} from '../../functions/local/smoke.ts';
import { startStack, type RunningStack } from '../sim/local-stack.ts';

// `npm run smoke` as an operator runs it after a deploy, here against `npm start`'s own stack, whose
// erasure job runs every 3 seconds so that the check sees the erasure complete.

type Run = { code: number | null; stdout: string; stderr: string };

function smoke(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['functions/local/smoke.ts', ...args],
      { env: { ...process.env, SMOKE_TOKEN: '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const token = (userId: string, key: string = LOCAL.tokenKey) =>
  mintShopperToken(userId, { key, issuer: LOCAL.tokenIssuer, audience: LOCAL.tokenAudience, ttlSec: 600 });

const STEPS = [
  'users knows the shopper',
  'collect takes a session',
  'preferences show it',
  'erasure requested',
  'preferences forgotten',
  'erasure completed',
];

describe('npm run smoke, against the local stack', () => {
  let stack: RunningStack;
  let urls: [string, string];
  beforeAll(async () => {
    stack = await startStack(120_000, { ERASURE_EVERY_MINUTES: '0.05' });
    urls = [`http://127.0.0.1:${stack.ports.collect}`, `http://127.0.0.1:${stack.ports.users}`];
  });
  afterAll(() => stack?.stop());

  it('sends a session, sees it learned, erases the shopper and sees the erasure complete, timing every step and printing no token', async () => {
    const smokeToken = await token('smoke-check');
    const run = await smoke([...urls, '--erasure-timeout', '60s'], { SMOKE_TOKEN: smokeToken });

    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`smoke check of collect ${urls[0]} and users ${urls[1]}, as shopper smoke-check`);
    const steps = lines.filter((line) => /^ {2}(ok|FAIL) /.test(line));
    expect(steps.map((line) => line.slice(8, 36).trim())).toEqual(STEPS);
    for (const line of steps) expect(line).toMatch(/^ {2}ok {4}.{28} +\d+\.\d\d s {2}\S/);
    expect(run.stdout).toMatch(/preferences show it .* event_count 4; products smoke-\w+/);
    expect(run.stdout).toMatch(/erasure completed .* rows deleted: events 4, order_items 1/);
    expect(run.stdout).toMatch(/\nsmoke check passed in \d+\.\d\d s\n$/);
    expect(run.stdout + run.stderr).not.toContain(smokeToken);

    // Again, as after the next deploy: the erased shopper's new session is learned and erased the same way.
    const again = await smoke([...urls, '--erasure-timeout', '60s', '--token', smokeToken]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).not.toContain(smokeToken);
  }, 150_000);

  it('fails at the first step, naming it and what was answered, with exit code 1, when the token is not the deployment’s', async () => {
    const forged = await token('smoke-forged', 'some-other-signing-key-than-the-stacks');
    const run = await smoke(urls, { SMOKE_TOKEN: forged });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}users knows the shopper +\d+\.\d\d s {2}users answered GET learning-status with 401/m);
    expect(run.stdout).toContain('smoke check FAILED at "users knows the shopper": users answered GET learning-status with 401');
    expect(run.stdout).toContain('(is the token signed with the key and issuer the deployment expects, and unexpired?)');
    expect(run.stdout).not.toContain('collect takes a session');
    expect(run.stdout + run.stderr).not.toContain(forged);
  });

  it('fails with exit code 1 when the session is not learned before its deadline, saying what the document showed', async () => {
    const run = await smoke([...urls, '--learn-timeout', '0'], { SMOKE_TOKEN: await token('smoke-impatient') });

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}ok {4}collect takes a session/m);
    expect(run.stdout).toContain(
      'smoke check FAILED at "preferences show it": the preference document did not show the session within 0.00 s (event_count 0, expected at least 4): is ingest receiving the events topic?',
    );
    expect(run.stdout).not.toContain('erasure requested');
  });

  it('fails with exit code 1 when users cannot be reached', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await smoke([urls[0], closed], { SMOKE_TOKEN: await token('smoke-check') });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `smoke check FAILED at "users knows the shopper": GET ${closed}/v1/users/smoke-check/learning-status could not be reached: connect ECONNREFUSED`,
    );
  });
});

describe('npm run smoke: its command line', () => {
  it('takes the token from SMOKE_TOKEN or --token, and durations in ms, s, m or h', async () => {
    const smokeToken = await token('smoke-check');
    expect(parseSmokeArgs(['http://127.0.0.1:8080', 'https://users.example/'], { SMOKE_TOKEN: smokeToken })).toEqual({
      collectUrl: 'http://127.0.0.1:8080',
      usersUrl: 'https://users.example/',
      token: smokeToken,
      learnTimeoutMs: 120_000,
      erasureTimeoutMs: 600_000,
    });
    expect(
      parseSmokeArgs(['http://c', 'http://u', '--token', smokeToken, '--learn-timeout', '90s', '--erasure-timeout', '3h'], {}),
    ).toMatchObject({
      token: smokeToken,
      learnTimeoutMs: 90_000,
      erasureTimeoutMs: 3 * 3_600_000,
    });
    expect([duration('x', '500ms'), duration('x', '2'), duration('x', '1.5m'), duration('x', '0')]).toEqual([500, 2_000, 90_000, 0]);
    expect(smokeShopper(smokeToken)).toBe('smoke-check');
  });

  it('refuses what it cannot use, saying why, with exit code 2', async () => {
    const smokeToken = await token('smoke-check');
    expect(() => parseSmokeArgs(['http://c', 'http://u'], {})).toThrow('a token is needed: set SMOKE_TOKEN (or pass --token)');
    expect(() => parseSmokeArgs(['http://c'], { SMOKE_TOKEN: 'x' })).toThrow(/^usage: npm run smoke -- <collect URL> <users URL>/);
    expect(() => parseSmokeArgs(['127.0.0.1:8080', 'http://u'], { SMOKE_TOKEN: 'x' })).toThrow(
      'the collect URL must be an http(s) URL, got 127.0.0.1:8080',
    );
    expect(() => parseSmokeArgs(['http://c', 'http://u'], { SMOKE_TOKEN: 'not-a-jwt' })).toThrow('the token is not a JWT');
    expect(() => parseSmokeArgs(['http://c', 'http://u', '--erasure-timeout', 'soon'], { SMOKE_TOKEN: smokeToken })).toThrow(
      '--erasure-timeout takes a duration such as 90s, 10m or 3h, got soon',
    );

    const run = await smoke(['http://127.0.0.1:9', 'http://127.0.0.1:9']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`a token is needed: set SMOKE_TOKEN (or pass --token)\n${USAGE}\n`);
    expect(run.stdout).toBe('');
  });

  it('is documented in docs/deploying.md with the defaults it has', () => {
    const page = readFileSync('docs/deploying.md', 'utf8');
    expect(page).toContain(`\`--learn-timeout\` (default \`${DEFAULT_LEARN_TIMEOUT_MS / 60_000}m\`)`);
    expect(page).toContain(`\`--erasure-timeout\` (default \`${DEFAULT_ERASURE_TIMEOUT_MS / 60_000}m\`)`);
    expect(page).toContain(`Every HTTP call has a ${REQUEST_TIMEOUT_MS / 1000} s deadline`);
    expect(page).toContain('npm run smoke -- "$(pulumi stack output collectUrl)" "$(pulumi stack output usersUrl)"');
  });
});
