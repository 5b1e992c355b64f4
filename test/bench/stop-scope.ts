import type { RunningProcess } from '../../functions/local/emulators.ts';

/**
 * What a benchmark started, stopped on the way out, on an error, and on SIGINT/SIGTERM: the clean-ups
 * in reverse order, then every process, including those still starting (their handle arrives once ready).
 */
export function stopScope(progress: (message: string) => void) {
  const starting: Promise<RunningProcess>[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;

  function stopAll(): Promise<void> {
    stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      const settled = await Promise.allSettled(starting);
      await Promise.all(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop()] : [])));
    })();
    return stopping;
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping`);
      void stopAll().then(() => process.exit(130));
    });
  }

  return {
    /** Tracks a process from the moment it is asked for. */
    start: (pending: Promise<RunningProcess>): Promise<RunningProcess> => {
      starting.push(pending);
      return pending;
    },
    cleanup: (task: () => Promise<void>): void => {
      cleanups.push(task);
    },
    stopAll,
  };
}
