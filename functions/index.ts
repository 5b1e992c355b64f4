import type { Registration } from './descriptor.ts';
import { registerCloudEventFunction, registerHttpFunction } from './http/register.ts';
import { createPlatform } from './platform.ts';
import { FUNCTIONS } from './registry.ts';

// The entry file: every function of the registry, registered with the Functions Framework. Cloud Functions sets
// FUNCTION_TARGET, so a deployed function reads the settings of, builds the clients of, and needs the permissions
// of only itself; locally and in tests every function is registered, in one process sharing one platform.
const target = process.env.FUNCTION_TARGET;
const platform = createPlatform();

function register(name: string, registration: Registration): void {
  if (registration.signature === 'http') registerHttpFunction(name, registration.handler);
  else registerCloudEventFunction(name, registration.handler);
}

for (const fn of FUNCTIONS) {
  if (target && target !== fn.name) continue;
  register(fn.name, await fn.build(process.env, platform));
}
