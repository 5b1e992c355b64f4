import type { Request, Response } from '@google-cloud/functions-framework';

const PREFLIGHT_MAX_AGE_SEC = 86_400;

/**
 * Browser clients call from the shop's pages. The token travels in the Authorization header, not in
 * cookies, so credentials are never allowed and `*` is safe when no allow-list is configured.
 */
export function applyCors(
  req: Request,
  res: Response,
  allowed: string[] | '*',
  allow: { methods: string; headers: string } = { methods: 'POST, OPTIONS', headers: 'Authorization, Content-Type' },
): void {
  const origin = req.get('origin');
  if (allowed === '*') {
    res.set('Access-Control-Allow-Origin', '*');
  } else {
    res.vary('Origin');
    if (origin && allowed.includes(origin)) res.set('Access-Control-Allow-Origin', origin);
  }
  res.set('Access-Control-Expose-Headers', 'Retry-After');
  if (req.method === 'OPTIONS') {
    res.set('Access-Control-Allow-Methods', allow.methods);
    res.set('Access-Control-Allow-Headers', allow.headers);
    res.set('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SEC));
  }
}
