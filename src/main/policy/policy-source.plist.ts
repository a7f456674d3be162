// Managed policy on macOS: a configuration profile (Jamf, Intune) for the app's bundle id is
// written by the system as managed preferences, per user in
// /Library/Managed Preferences/<user>/<bundle id>.plist and per machine in
// /Library/Managed Preferences/<bundle id>.plist; the machine's values win. The system writes
// binary property lists, people and some tools XML ones: the plist library (the one most of the
// Node ecosystem uses) reads both.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parse, parseBinary } from 'plist';
import type { SettingProblem } from '../../shared/settings.js';
import type { PolicyLayer, PolicyReading, PolicySource } from './types.js';
import { whereParseFailed } from './parse-problem.js';

export const BUNDLE_ID = 'au.gov.attache.reader';
export const MANAGED_PREFERENCES_DIR = '/Library/Managed Preferences';
const MAX_PLIST_BYTES = 1024 * 1024;
const BINARY_MAGIC = 'bplist00';

/** Parses a binary or XML property list holding one dictionary. */
export function parsePreferences(bytes: Buffer): Record<string, unknown> {
  const root: unknown =
    bytes.subarray(0, BINARY_MAGIC.length).toString('latin1') === BINARY_MAGIC
      ? parseBinary(new Uint8Array(bytes))
      : parse(bytes.toString('utf8'));
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new Error('does not hold a dictionary of preferences');
  }
  return root as Record<string, unknown>;
}

/** Plist booleans and dates are no setting types; numbers, strings and arrays pass as they are. */
function plainValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    // Keys the system adds to every managed preference file.
    if (name.startsWith('Payload') || name.startsWith('com.apple.')) continue;
    out[name] = value;
  }
  return out;
}

async function readLayer(path: string, problems: SettingProblem[]): Promise<PolicyLayer | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      problems.push({ name: '(file)', from: path, reason: `cannot be read (${code ?? 'error'})` });
    }
    return null;
  }
  if (bytes.byteLength > MAX_PLIST_BYTES) {
    problems.push({ name: '(file)', from: path, reason: 'is too large to be preferences' });
    return null;
  }
  try {
    return { from: path, values: plainValues(parsePreferences(bytes)) };
  } catch (error) {
    problems.push({
      name: '(file)',
      from: path,
      reason: `is not a property list Attaché can read: a mistake${whereParseFailed(error) || ' somewhere in it'}`,
    });
    return null;
  }
}

export function createPlistPolicySource(
  options: { readonly root?: string; readonly userName?: string; readonly bundleId?: string } = {},
): PolicySource {
  const root = options.root ?? MANAGED_PREFERENCES_DIR;
  const bundleId = options.bundleId ?? BUNDLE_ID;
  return {
    read: async (): Promise<PolicyReading> => {
      const userName = options.userName ?? os.userInfo().username;
      const problems: SettingProblem[] = [];
      const layers = (
        await Promise.all([
          readLayer(join(root, `${bundleId}.plist`), problems),
          readLayer(join(root, userName, `${bundleId}.plist`), problems),
        ])
      ).filter((layer): layer is PolicyLayer => layer !== null);
      return { layers, problems };
    },
  };
}
