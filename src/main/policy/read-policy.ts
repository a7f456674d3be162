// Which managed-policy source this machine has. ATTACHE_POLICY_FILE (development only) points
// the Linux reader at another file on any system, so tests and developers can use one.
import type { ConfigMode, PolicySource } from './types.js';
import { createLinuxPolicySource } from './policy-source.linux.js';
import { createPlistPolicySource } from './policy-source.plist.js';
import { createRegistryPolicySource } from './policy-source.registry.js';

export const POLICY_FILE_ENV = 'ATTACHE_POLICY_FILE';

export function policySourceFor(options: {
  readonly platform: NodeJS.Platform;
  readonly mode: ConfigMode;
  readonly environment: Readonly<Record<string, string | undefined>>;
}): { readonly source: PolicySource; readonly description: string } {
  const file = options.environment[POLICY_FILE_ENV];
  if (options.mode === 'development' && file) {
    return {
      source: createLinuxPolicySource({ file }),
      description: `${file} (development: ${POLICY_FILE_ENV})`,
    };
  }
  switch (options.platform) {
    case 'win32':
      return { source: createRegistryPolicySource(), description: 'the registry' };
    case 'darwin':
      return { source: createPlistPolicySource(), description: 'managed preferences' };
    default:
      return { source: createLinuxPolicySource(), description: '/etc/attache/policy.json' };
  }
}
