/** The environment variables a settings loader asks for, seen through an environment that records each name. */
export function namesRead(load: (env: NodeJS.ProcessEnv) => unknown): string[] {
  const read = new Set<string>();
  const env = new Proxy<NodeJS.ProcessEnv>(
    {},
    {
      get(_target, key) {
        if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) read.add(key);
        return undefined;
      },
    },
  );
  try {
    load(env);
  } catch {
    // Required settings are missing from the empty environment: only the names asked for matter here.
  }
  return [...read];
}
