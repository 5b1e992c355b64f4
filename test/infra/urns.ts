import * as pulumi from '@pulumi/pulumi';

/** A resource as the engine knows it: its URN, and the URNs it answers to besides (its aliases). */
export type Identity = { urn: string; custom: boolean; aliases: string[] };

/** What `registerResource` of the mock monitor is handed, as far as identity goes. */
type RegisterRequest = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getAliasesList(): {
    getUrn(): string;
    getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
  }[];
};
type Callback = (error: unknown, response?: { getUrn(): string }) => void;
type Monitor = { registerResource(request: RegisterRequest, callback: Callback): void };

/**
 * Records the identity of every resource registered from now on, as the Pulumi engine reckons it: a URN names the
 * whole chain of its parents' types, so a resource moved under another component is another resource, deleted and
 * created again, unless an alias names where it was. (The mock monitor keeps only the last parent type in its URNs.)
 * Call after the mocks are set.
 */
export function recordIdentities(): Identity[] {
  const monitor = pulumi.runtime.getMonitor() as Monitor | undefined;
  if (!monitor) throw new Error('set the mocks first');
  const identities: Identity[] = [];
  // The mock's URN of each resource → the engine's.
  const engineUrn = new Map<string, string>();
  const urnOf = (type: string, name: string, parentUrn: string) => {
    const parentType = parentUrn ? parentUrn.split('::')[2] : undefined;
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${parentType ? `${parentType}$` : ''}${type}::${name}`;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    const parent = request.getParent() ? (engineUrn.get(request.getParent()) ?? request.getParent()) : '';
    const urn = urnOf(request.getType(), request.getName(), parent);
    const aliases = request.getAliasesList().map((alias) => {
      const spec = alias.getSpec();
      if (!spec) return alias.getUrn();
      const aliasParent = spec.getNoparent() ? '' : spec.getParenturn() || parent;
      return urnOf(spec.getType() || request.getType(), spec.getName() || request.getName(), engineUrn.get(aliasParent) ?? aliasParent);
    });
    identities.push({ urn, custom: request.getCustom(), aliases });
    register(request, (error, response) => {
      if (response) engineUrn.set(response.getUrn(), urn);
      callback(error, response);
    });
  };
  return identities;
}
