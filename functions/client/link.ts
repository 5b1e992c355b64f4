import { outcomeOf } from './send-batch.ts';
import type { FetchLike, Timers } from './ports.ts';

/** The visitor a tracker tracked before login, linked to the shopper who logged in, as `users` answers it. */
export type VisitorLink = { anonymous_id: string; user_id: string; linked_at: string };

/** What became of a link: linked (now or before), or why not and whether sending it again may succeed. */
export type LinkResult = { ok: true; link: VisitorLink } | { ok: false; reason: string; retry: boolean };

export type LinkRequest = {
  fetch: FetchLike;
  usersEndpoint: string;
  userId: string;
  /** The shopper's token: it authorizes the call. */
  token: string;
  /** The visitor's token: the proof that the caller was that visitor. */
  anonymousToken: string;
  timeoutMs: number;
  timers: Timers;
};

/** `POST /v1/users/{userId}/links`; `unauthorized` when the shopper's token was refused, so a fresh one may do. Never throws. */
export async function postLink(request: LinkRequest): Promise<LinkResult & { unauthorized?: boolean }> {
  const abort = new AbortController();
  const timer = request.timers.setTimeout(() => abort.abort(), request.timeoutMs);
  try {
    const url = `${request.usersEndpoint.replace(/\/+$/, '')}/v1/users/${encodeURIComponent(request.userId)}/links`;
    const response = await request.fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${request.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ anonymous_token: request.anonymousToken }),
      signal: abort.signal,
    });
    const body = await response.json().catch(() => undefined);
    // The same rule as for events: 5xx, 429 and 408 are worth sending again; any other 4xx is not.
    const outcome = outcomeOf(response.status, body);
    if (outcome.kind === 'answered') return { ok: true, link: body as VisitorLink };
    return {
      ok: false,
      reason: 'reason' in outcome ? outcome.reason : String(response.status),
      retry: outcome.kind === 'retry',
      unauthorized: outcome.kind === 'unauthorized',
    };
  } catch {
    return { ok: false, reason: 'users did not answer', retry: true };
  } finally {
    request.timers.clearTimeout(timer);
  }
}
