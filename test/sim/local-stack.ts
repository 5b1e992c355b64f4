import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../functions/local/emulators.ts';
import { LOCAL_ENV } from '../../functions/local/local-functions.ts';

// `npm start`'s own stack, spawned on free ports with a fresh warehouse, as test/local/stack.test.ts does.
// The local scheduler is pushed out of the way (its runs would use real time as as_of): the simulation
// runs the batch jobs itself at each simulated day's end.

const STACK = fileURLToPath(new URL('../../functions/local/stack.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** setInterval takes at most 2^31 − 1 ms; 30,000 minutes is within it and longer than any run. */
const NEVER_MINUTES = '30000';

export type IngestLog = { events: number; learned: number; lag_ms: number };

export type RunningStack = {
  ports: Record<'collect' | 'patterns' | 'weights' | 'metrics' | 'history' | 'firestore' | 'users', number>;
  warehouseFile: string;
  /** Every "message ingested" line the stack logged so far. */
  ingested: IngestLog[];
  /** The latest lines the stack logged at ERROR, to say why a job failed. */
  errors: string[];
  stop: () => Promise<number | null>;
};

/** Attempts at starting the stack when a port it was given is taken before it listens. */
const PORT_RACE_ATTEMPTS = 3;

/**
 * `env` overrides the stack's settings, e.g. a schedule a test wants run (the others are pushed out of the way).
 * A free port is only free until something listens on it: test files running beside this one pick ports too, so a
 * start that lost such a race is tried again on other ports.
 */
export async function startStack(timeoutMs = 120_000, env: Record<string, string> = {}): Promise<RunningStack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(timeoutMs, env);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= PORT_RACE_ATTEMPTS) throw error;
    }
  }
}

class PortTaken extends Error {}

async function startStackOnce(timeoutMs: number, env: Record<string, string>): Promise<RunningStack> {
  // Every function's port and the emulators': the registry's, so a new function is moved out of the way too.
  const names = Object.values(LOCAL_ENV.ports);
  const ports: Record<string, string> = {};
  for (const name of names) ports[name] = String(await freePort());
  const warehouseFile = join(mkdtempSync(join(tmpdir(), 'sim-')), 'warehouse.duckdb');
  const child: ChildProcess = spawn(process.execPath, [STACK], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...ports,
      WAREHOUSE_FILE: warehouseFile,
      // Every scheduled job's, from the registry: a job added later is pushed out of the way too.
      ...Object.fromEntries(Object.values(LOCAL_ENV.scheduleMinutes).map((name) => [name, NEVER_MINUTES])),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ingested: IngestLog[] = [];
  const errors: string[] = [];
  let tailText = '';
  let ready = false;
  let partial = '';
  const onData = (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('"message ingested"')) {
        try {
          const entry = JSON.parse(line) as Partial<IngestLog>;
          ingested.push({ events: entry.events ?? 0, learned: entry.learned ?? 0, lag_ms: entry.lag_ms ?? 0 });
        } catch {
          // Not a log line of ours.
        }
      } else if (line.includes('"severity":"ERROR"')) {
        errors.push(line.slice(0, 2000));
        if (errors.length > 20) errors.shift();
      } else if (!ready) {
        tailText = (tailText + line + '\n').slice(-5000);
        if (line.includes('local stack ready')) ready = true;
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + timeoutMs;
  while (!ready) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) child.kill('SIGINT');
      const message = `the local stack did not start:\n${tailText}`;
      throw tailText.includes('EADDRINUSE') ? new PortTaken(message) : new Error(message);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = (name: string) => Number(ports[name]);
  return {
    ports: {
      collect: port(LOCAL_ENV.ports.collect),
      patterns: port(LOCAL_ENV.ports.patterns),
      weights: port(LOCAL_ENV.ports.weights),
      metrics: port(LOCAL_ENV.ports.metrics),
      history: port(LOCAL_ENV.ports.history),
      firestore: port(LOCAL_ENV.ports.firestore),
      users: port(LOCAL_ENV.ports.users),
    },
    warehouseFile,
    ingested,
    errors,
    async stop() {
      // Ctrl-C, as a person would: the stack stops the emulators and functions it started.
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
