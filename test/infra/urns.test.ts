import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PULUMI_PROJECT, settled, startMocks } from './run-program.ts';
import { recordIdentities, type Identity } from './urns.ts';

// Pulumi knows a resource by its URN, which names its parents' types: a resource whose URN changes is deleted and
// created again, unless an alias names its former URN. For an account, a subscription or a secret that means a new
// identity, lost messages or a refused deployment. deployed-urns.json lists the URNs of every cloud resource as they
// were deployed (with an operator named and an alert address set, so that those resources are there too).
const DEPLOYED: string[] = JSON.parse(readFileSync(new URL('./deployed-urns.json', import.meta.url), 'utf8'));

let identities: Identity[];
beforeAll(async () => {
  await startMocks({
    preview: true,
    config: { [`${PULUMI_PROJECT}:operators`]: 'group:privacy-ops@example.com', [`${PULUMI_PROJECT}:alertEmail`]: 'ops@example.com' },
  });
  identities = recordIdentities();
  await import('../../infra/index.ts');
  await settled();
});

describe('the identity of what is deployed', () => {
  it('keeps every deployed resource: each is still registered under its URN, or under a new one with the old as alias', () => {
    const known = new Set(identities.filter((r) => r.custom).flatMap((r) => [r.urn, ...r.aliases]));

    expect(DEPLOYED.length).toBeGreaterThan(150);
    expect(DEPLOYED.filter((urn) => !known.has(urn))).toEqual([]);
  });

  it('lets no two resources claim one deployed resource', () => {
    const claims = DEPLOYED.map((urn) => [urn, identities.filter((r) => r.urn === urn || r.aliases.includes(urn)).length] as const);

    expect(claims.filter(([, count]) => count > 1)).toEqual([]);
  });
});
