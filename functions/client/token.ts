/**
 * The shopper's token: a fixed string, or a function the shop's page calls for a current one
 * (e.g. from its sign-in session). The token says who the events belong to; collect takes the shopper
 * from it, never from an event.
 */
export type TokenSource = string | (() => string | Promise<string>);

/** Every use of the shopper's identity goes through here. */
export type TokenProvider = {
  /** The last token fetched, or a fresh one. */
  get(): Promise<string>;
  /** The last token fetched, for a request that cannot wait: a page being hidden. */
  cached(): string | undefined;
  /** After a 401: asks the source again (a fixed token stays what it is). */
  refresh(): Promise<string>;
  /** The shopper the token names (its `sub`): whose privacy settings to read. */
  subject(): Promise<string | undefined>;
  /** From now on, tokens come from `next` (a visitor logged in). */
  use(next: TokenSource): void;
};

export function createTokenProvider(first: TokenSource): TokenProvider {
  let source = first;
  let current: string | undefined = typeof first === 'string' ? first : undefined;
  let pending: Promise<string> | undefined;

  /** One call of the source at a time; concurrent callers share it. A failed call is not kept. */
  function fetchToken(): Promise<string> {
    const from = source;
    if (typeof from === 'string') return Promise.resolve(from);
    if (pending) return pending;
    // A call of a source replaced meanwhile answers its caller, but is not kept.
    const call: Promise<string> = Promise.resolve()
      .then(from)
      .then((token) => (source === from ? (current = token) : token))
      .finally(() => {
        if (pending === call) pending = undefined;
      });
    return (pending = call);
  }

  function use(next: TokenSource): void {
    source = next;
    current = typeof next === 'string' ? next : undefined;
    pending = undefined;
  }

  return {
    get: () => (current === undefined ? fetchToken() : Promise.resolve(current)),
    cached: () => current,
    refresh: fetchToken,
    async subject() {
      const token = current ?? (await fetchToken());
      return jwtSubject(token);
    },
    use,
  };
}

/** The `sub` claim of a JWT, read without verifying it: it only names a path the server checks anyway. */
export function jwtSubject(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const binary = atob(
      payload
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(payload.length / 4) * 4, '='),
    );
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    const sub = typeof claims === 'object' && claims !== null ? (claims as { sub?: unknown }).sub : undefined;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
