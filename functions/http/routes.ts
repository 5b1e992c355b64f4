import type { ErrorReply } from './reply.ts';

/** The methods a route may take; any other is answered 405. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * A path pattern and what each method does there. In the pattern, a `:name` segment is a parameter
 * (one non-empty segment, %-decoded); `*` alone matches any path.
 */
export type Route<A> = { path: string; methods: Partial<Record<Method, A>> };

type ActionOf<R> = R extends Route<infer A> ? A : never;

export type Routed<R extends Route<unknown>> =
  { ok: true; route: R; action: ActionOf<R>; params: Readonly<Record<string, string>> } | { ok: false; reply: ErrorReply };

export type RouterOptions = {
  /** The function answers CORS preflights itself: `OPTIONS` is named in `Allow` too. */
  preflight?: boolean;
};

/**
 * Finds a request's route in a table: 404 for a path no route has (or one whose parameter is a
 * malformed %-escape, which names nothing), 405 with `Allow` for a method the route does not take.
 * A trailing slash is ignored.
 */
export function createRouter<R extends Route<unknown>>(
  routes: readonly R[],
  options: RouterOptions = {},
): (method: string, path: string) => Routed<R> {
  const table = routes.map((route) => ({ route, match: matcher(route.path) }));
  return (method, path) => {
    const normalized = path.replace(/\/+$/, '');
    for (const { route, match } of table) {
      const params = match(normalized);
      if (params === undefined) continue;
      if (params === null) break;
      const action = route.methods[method as Method] as ActionOf<R> | undefined;
      if (action !== undefined) return { ok: true, route, action, params };
      const methods = Object.keys(route.methods);
      return {
        ok: false,
        reply: {
          status: 405,
          code: 'method_not_allowed',
          message: `${method} is not allowed; use ${methods.join(', ')}`,
          headers: { Allow: [...methods, ...(options.preflight ? ['OPTIONS'] : [])].join(', ') },
        },
      };
    }
    return { ok: false, reply: { status: 404, code: 'not_found', message: `no route ${path}` } };
  };
}

/** The pattern's parameters for a path; undefined when it does not match, null when a parameter cannot be decoded. */
function matcher(pattern: string): (path: string) => Record<string, string> | null | undefined {
  if (pattern === '*') return () => ({});
  const segments = pattern.split('/');
  return (path) => {
    const parts = path.split('/');
    if (parts.length !== segments.length) return undefined;
    const matches = segments.every((segment, i) => (segment.startsWith(':') ? parts[i] !== '' : parts[i] === segment));
    if (!matches) return undefined;
    const params: Record<string, string> = {};
    try {
      for (const [i, segment] of segments.entries())
        if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(parts[i] ?? '');
    } catch {
      return null;
    }
    return params;
  };
}
