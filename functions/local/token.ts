import { mintShopperToken } from './mint-token.ts';
import { LOCAL } from './local-settings.ts';

// `npm run token -- <userId> [ttlSeconds]`: a shopper token the local stack accepts.
const [userId, ttl] = process.argv.slice(2);
if (!userId) {
  process.stderr.write('usage: npm run token -- <userId> [ttlSeconds]\n');
  process.exit(2);
}
const token = await mintShopperToken(userId, {
  key: process.env.TOKEN_KEY ?? LOCAL.tokenKey,
  issuer: LOCAL.tokenIssuer,
  audience: LOCAL.tokenAudience,
  ttlSec: ttl ? Number(ttl) : 24 * 3600,
});
process.stdout.write(`${token}\n`);
