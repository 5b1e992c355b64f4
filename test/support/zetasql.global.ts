import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, portAccepts, startProcessGroup, type RunningProcess } from '../../functions/local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    zetasqlPort: number;
  }
}

/**
 * The server binary that `@fivetrandevelopers/zetasql` ships, named as its own `runServer` names it.
 * We start it ourselves rather than through `runServer`, which never reports readiness or exit, forwards
 * the server's output to our stdout, and buffers that output under execFile's size limit.
 */
function serverBinary(): string {
  const lib = dirname(createRequire(import.meta.url).resolve('@fivetrandevelopers/zetasql'));
  const suffix = (process.arch.startsWith('arm') ? '_arm' : '') + (process.platform === 'darwin' ? '' : '.so');
  return join(lib, 'zetasql', `remote_server${suffix}`);
}

let server: RunningProcess | undefined;

/** If the run ends without teardown (an interrupted run), still leave no server behind. */
function killOnExit(): void {
  if (server?.child.pid === undefined) return;
  try {
    process.kill(-server.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** One ZetaSQL analyzer/evaluator server for the whole run; it keeps no state between requests. */
export async function setup(project: TestProject): Promise<void> {
  const port = await freePort();
  process.once('exit', killOnExit);
  // The gRPC server binds its port only once it is built and serving, so an accepted connection means it answers.
  server = await startProcessGroup('zetasql', serverBinary(), ['localhost', String(port)], {
    host: `localhost:${port}`,
    ready: () => portAccepts(port),
  });
  project.provide('zetasqlPort', port);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  process.off('exit', killOnExit);
}
