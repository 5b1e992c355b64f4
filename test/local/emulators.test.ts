import { describe, expect, it } from 'vitest';
import { freePort, portAccepts, portIsFree, startProcessGroup } from '../../functions/local/emulators.ts';

// Stopping a process group: what the stack and the tests rely on to leave nothing listening.

/** Whether any process of group `pid` is left. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a process group', () => {
  it('is gone, its child that ignores SIGTERM included, and its port closed, once stop resolves', async () => {
    const port = await freePort();
    // The group leader starts a child that listens and ignores SIGTERM, as gcloud starts the emulator's JVM.
    const child = `process.on('SIGTERM', () => {}); require('node:net').createServer().listen(${port}, '127.0.0.1')`;
    const running = await startProcessGroup('listener', 'sh', ['-c', `"${process.execPath}" -e "${child}" & wait`], {
      host: `127.0.0.1:${port}`,
      ready: () => portAccepts(port),
    });
    const pid = running.child.pid as number;
    expect(groupAlive(pid)).toBe(true);

    await running.stop();
    expect(groupAlive(pid)).toBe(false);
    expect(await portAccepts(port)).toBe(false);
  }, 30_000);
});

describe('a free port', () => {
  it('is below the ephemeral ranges outgoing connections take their ports from, and nothing listens on it', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
      expect(await portIsFree(port)).toBe(true);
    }
  });
});
