import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process group we started: an emulator or a function server. */
export type RunningProcess = {
  name: string;
  /** `host:port` on loopback. */
  host: string;
  child: ChildProcess;
  stop(): Promise<void>;
};

export type EmulatorKind = 'pubsub' | 'firestore';

const START_TIMEOUT_MS = 90_000;

/** What the local stack needs from the machine, with what to install when it is missing. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (spawnSync('gcloud', ['--version'], { stdio: 'ignore' }).status !== 0) {
    missing.push(
      'gcloud is not on PATH: install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install) with ' +
        '`gcloud components install pubsub-emulator cloud-firestore-emulator beta` (or the Debian packages ' +
        'google-cloud-cli-pubsub-emulator and google-cloud-cli-firestore-emulator)',
    );
  }
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
    missing.push('java is not on PATH: the emulators need a Java 11+ runtime, e.g. `apt-get install openjdk-17-jre-headless`');
  }
  return missing;
}

/**
 * A port below the systems' ephemeral ranges (Linux 32768–60999, macOS and Windows from 49152): a port the kernel
 * hands out for `listen(0)` is also what it hands out as the local port of outgoing connections, so one freed here
 * could be taken by any connection before the process it is meant for listens on it.
 */
const QUIET_PORTS = { from: 20_000, to: 32_767 } as const;
const QUIET_PORT_TRIES = 20;

/** A free port on 127.0.0.1 for a process about to listen on it. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < QUIET_PORT_TRIES; i++) {
    const port = QUIET_PORTS.from + Math.floor(Math.random() * (QUIET_PORTS.to - QUIET_PORTS.from + 1));
    if (await portIsFree(port)) return port;
  }
  return anyFreePort();
}

/** Whatever port the kernel gives `listen(0)`. */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Starts an official emulator through gcloud, in its own process group so that stopping it also
 * stops the Java process gcloud starts. Resolves once the emulator answers HTTP.
 */
export async function startEmulator(kind: EmulatorKind, options: { port: number; projectId: string }): Promise<RunningProcess> {
  const host = `127.0.0.1:${options.port}`;
  const args =
    kind === 'pubsub'
      ? ['beta', 'emulators', 'pubsub', 'start', `--host-port=${host}`, `--project=${options.projectId}`, '--quiet']
      : ['emulators', 'firestore', 'start', `--host-port=${host}`, '--quiet'];
  return startProcessGroup(`${kind}-emulator`, 'gcloud', args, {
    host,
    ready: () => httpAnswers(`http://${host}/`),
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
  });
}

export async function startProcessGroup(
  name: string,
  command: string,
  args: string[],
  options: { host: string; ready: () => Promise<boolean>; env?: NodeJS.ProcessEnv; onOutput?: (line: string) => void },
): Promise<RunningProcess> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const tail: string[] = [];
  // A read can end mid-line: keep the unfinished part until its newline arrives.
  const lines = () => {
    let partial = '';
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        options.onOutput?.(line);
      }
    };
  };
  child.stdout?.on('data', lines());
  child.stderr?.on('data', lines());
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const running: RunningProcess = {
    name,
    host: options.host,
    child,
    async stop() {
      if (exited || child.pid === undefined) return;
      killGroup(child.pid, 'SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), sleep(8_000).then(() => false)]);
      if (!stopped) killGroup(child.pid, 'SIGKILL');
      // The Java child may outlive its gcloud parent by a moment; make sure the group is gone, and wait
      // until it is: a killed JVM can go on accepting on its port while the kernel tears it down.
      killGroup(child.pid, 'SIGKILL');
      await exit;
      await groupGone(child.pid, GROUP_EXIT_TIMEOUT_MS);
    },
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited while starting:\n${tail.join('\n')}`);
    if (await options.ready()) return running;
    await sleep(250);
  }
  await running.stop();
  throw new Error(`${name} did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${tail.join('\n')}`);
}

/** How long `stop` waits for a killed process group to be gone before it gives up waiting. */
const GROUP_EXIT_TIMEOUT_MS = 5_000;

/** Resolves once no process of group `pid` is left (signal 0 finds none), or after `timeoutMs`. */
async function groupGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export async function httpAnswers(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

/** Whether something accepts TCP connections on the port: for servers that answer no request without a body. */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
