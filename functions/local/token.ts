import { mintShopperToken } from './mint-token.ts';
import { LOCAL } from './local-settings.ts';

// `npm run token -- [--anonymous] <userId> [ttlSeconds]`: a shopper token the local stack accepts; with
// `--anonymous`, an anonymous visitor's, whose user id is then `anonymous:<userId>`.
const args = process.argv.slice(2);
const anonymous = args[0] === '--anonymous';
const [userId, ttl] = anonymous ? args.slice(1) : args;
if (!userId) {
  process.stderr.write('usage: npm run token -- [--anonymous] <userId> [ttlSeconds]\n');
  process.exit(2);
}
const token = await mintShopperToken(userId, {
  anonymous,
  key: process.env.TOKEN_KEY ?? LOCAL.tokenKey,
  issuer: LOCAL.tokenIssuer,
  audience: LOCAL.tokenAudience,
  ttlSec: ttl ? Number(ttl) : 24 * 3600,
});
process.stdout.write(`${token}\n`);
