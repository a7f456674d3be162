// Managed policy on Windows: Group Policy (and Intune's ADMX-backed policies) write
// HKLM\SOFTWARE\Policies\Attache for the machine and the same key under HKCU for the user;
// the machine's values win, as they do for Chrome, Edge and Office. Values are REG_SZ (text
// and choices), REG_DWORD (numbers) and, for lists, a subkey whose values 1, 2, 3... hold the
// items (what the ADMX <list> element writes). Read with native-reg: N-API, its Windows
// binaries ship inside the package, and it loads (without them) on other systems.
import type { SettingProblem } from '../../shared/settings.js';
import type { PolicyLayer, PolicyReading, PolicySource } from './types.js';

export const POLICY_KEY = 'SOFTWARE\\Policies\\Attache';

/** The part of native-reg this adapter uses (tests hand in a fake with the same shape). */
export type RegistryApi = {
  readonly HKLM: unknown;
  readonly HKCU: unknown;
  readonly Access: { readonly READ: number; readonly WOW64_64KEY: number };
  readonly openKey: (hive: never, subKey: string, access: number) => unknown;
  readonly enumValueNames: (key: never) => string[];
  readonly enumKeyNames: (key: never) => string[];
  readonly queryValue: (key: never, name: string | null) => unknown;
  readonly closeKey: (key: never) => void;
};

async function loadNativeReg(): Promise<RegistryApi> {
  return await import('native-reg');
}

function plain(value: unknown): { value: unknown } | { problem: string } {
  if (typeof value === 'string' || typeof value === 'number') return { value };
  if (typeof value === 'bigint') return { value: Number(value) };
  if (Array.isArray(value)) return { value: value.map(String) };
  return { problem: 'has a registry type Attaché does not read (use REG_SZ or REG_DWORD)' };
}

function readHive(
  api: RegistryApi,
  hive: unknown,
  label: string,
  problems: SettingProblem[],
): PolicyLayer | null {
  const access = api.Access.READ | api.Access.WOW64_64KEY;
  let key: unknown;
  try {
    key = api.openKey(hive as never, POLICY_KEY, access);
  } catch (error) {
    problems.push({
      name: '(key)',
      from: label,
      reason: `cannot be read (${error instanceof Error ? error.message : String(error)})`,
    });
    return null;
  }
  if (!key) return null;
  const values: Record<string, unknown> = {};
  try {
    for (const name of api.enumValueNames(key as never)) {
      if (name === '') continue; // the key's (Default) value is no setting
      const read = plain(api.queryValue(key as never, name));
      if ('problem' in read) problems.push({ name, from: label, reason: read.problem });
      else values[name] = read.value;
    }
    for (const listName of api.enumKeyNames(key as never)) {
      const sub = api.openKey(key as never, listName, access);
      if (!sub) continue;
      try {
        // Items are named 1, 2, 3...: ordered by number, not as text (10 after 9).
        const names = api
          .enumValueNames(sub as never)
          .filter((name) => name !== '')
          .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
        values[listName] = names.map((name) => String(api.queryValue(sub as never, name)));
      } finally {
        api.closeKey(sub as never);
      }
    }
  } finally {
    api.closeKey(key as never);
  }
  return { from: label, values };
}

export function createRegistryPolicySource(
  options: { readonly api?: RegistryApi } = {},
): PolicySource {
  return {
    read: async (): Promise<PolicyReading> => {
      const api = options.api ?? (await loadNativeReg());
      const problems: SettingProblem[] = [];
      const layers = [
        readHive(api, api.HKLM, `HKLM\\${POLICY_KEY}`, problems),
        readHive(api, api.HKCU, `HKCU\\${POLICY_KEY}`, problems),
      ].filter((layer): layer is PolicyLayer => layer !== null);
      return { layers, problems };
    },
  };
}
