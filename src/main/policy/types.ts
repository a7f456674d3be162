// The contract of a managed-policy source: what the organisation set on this machine, as raw
// values keyed by the names IT uses. Each platform has its adapter (registry, managed
// preferences, policy file); the resolver validates, so adapters only read.
import type { SettingProblem } from '../../shared/settings.js';

export type PolicyLayer = {
  /** Where the values came from, as IT would look for them: a registry key, a file. */
  readonly from: string;
  readonly values: Readonly<Record<string, unknown>>;
};

export type PolicyReading = {
  /** Highest precedence first: machine policy before user policy, a later file before an earlier. */
  readonly layers: readonly PolicyLayer[];
  /** What could not be read at all (a file that is not JSON, a key without access). */
  readonly problems: readonly SettingProblem[];
};

export type PolicySource = {
  readonly read: () => Promise<PolicyReading>;
};

export const EMPTY_POLICY: PolicyReading = { layers: [], problems: [] };

/** development: unpackaged builds, the browser host and tests; environment variables count. */
export type ConfigMode = 'production' | 'development';
