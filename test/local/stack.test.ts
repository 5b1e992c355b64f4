import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portIsFree } from '../../functions/local/emulators.ts';

// What a newcomer does after `npm start`: paste the printed curl, see the event published, press Ctrl-C.

function startStack(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; waitFor: (pattern: RegExp, ms: number) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, ['functions/local/stack.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const waitFor = async (pattern: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const match = output.match(pattern);
      if (match) return match;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`did not see ${pattern} in:\n${output}`);
  };
  return { child, output: () => output, waitFor };
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm start', () => {
  it('runs the loop, publishes the event from the printed curl, and stops everything on Ctrl-C', async () => {
    const ports = { COLLECT_PORT: await freePort(), PUBSUB_EMULATOR_PORT: await freePort(), FIRESTORE_EMULATOR_PORT: await freePort() };
    const stack = startStack({ ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) });
    children.push(stack.child);

    await stack.waitFor(/local stack ready/, 90_000);
    const curl = (await stack.waitFor(/curl -sS[\s\S]*?-d '.*'/, 1_000))[0];
    expect(curl).toContain(`http://127.0.0.1:${ports.COLLECT_PORT}/v1/events`);

    const sent = spawnSync('bash', ['-c', curl], { encoding: 'utf8' });
    expect(JSON.parse(sent.stdout)).toMatchObject({ accepted: 1, rejected: [] });
    const eventId = /"event_id":"([0-9a-f-]{36})"/.exec(curl)?.[1];
    await stack.waitFor(new RegExp(`"message":"published to events".*search_performed ${eventId}`), 20_000);

    stack.child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => stack.child.once('exit', resolve));
    expect(code).toBe(0);
    for (const port of Object.values(ports)) expect(await portIsFree(port)).toBe(true);
  }, 150_000);

  it('says what to install when gcloud or Java is missing', () => {
    const result = spawnSync(process.execPath, ['functions/local/stack.ts'], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('gcloud is not on PATH: install the Google Cloud SDK');
    expect(result.stderr).toContain('java is not on PATH');
  });
});
