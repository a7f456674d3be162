// Managed policy on Linux: /etc/attache/policy.json, then every *.json file in
// /etc/attache/policy.d/ in name order, each later file overriding the earlier ones (as
// Chrome's managed policy folder works). Configuration management (Ansible, Puppet) drops
// files there. ATTACHE_POLICY_FILE points at another file (and the policy.d/ beside it) for
// development and tests.
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SettingProblem } from '../../shared/settings.js';
import type { PolicyLayer, PolicyReading, PolicySource } from './types.js';
import { whereParseFailed } from './parse-problem.js';

export const LINUX_POLICY_FILE = '/etc/attache/policy.json';
/** Most bytes read from one policy file: a policy is a few hundred bytes. */
const MAX_POLICY_BYTES = 256 * 1024;

type FileResult =
  | { readonly kind: 'absent' }
  | { readonly kind: 'layer'; readonly layer: PolicyLayer }
  | { readonly kind: 'problem'; readonly problem: SettingProblem };

async function readPolicyFile(path: string): Promise<FileResult> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_POLICY_BYTES) {
      return {
        kind: 'problem',
        problem: { name: '(file)', from: path, reason: `is larger than ${MAX_POLICY_BYTES} bytes` },
      };
    }
    text = bytes.toString('utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    return {
      kind: 'problem',
      problem: { name: '(file)', from: path, reason: `cannot be read (${code ?? 'error'})` },
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      kind: 'problem',
      problem: {
        name: '(file)',
        from: path,
        reason: `is not JSON: a mistake${whereParseFailed(error, text) || ' somewhere in it'}`,
      },
    };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {
      kind: 'problem',
      problem: { name: '(file)', from: path, reason: 'must hold one JSON object of settings' },
    };
  }
  // "$schema" lets editors check the file against the committed JSON Schema; it is no setting.
  const { $schema: _schema, ...values } = parsed as Record<string, unknown>;
  return { kind: 'layer', layer: { from: path, values } };
}

export function createLinuxPolicySource(options: { readonly file?: string } = {}): PolicySource {
  const file = options.file ?? LINUX_POLICY_FILE;
  const folder = join(dirname(file), 'policy.d');
  return {
    read: async (): Promise<PolicyReading> => {
      let names: string[] = [];
      try {
        names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
      } catch {
        // No policy.d folder: only the main file applies.
      }
      const results = await Promise.all(
        [file, ...names.map((name) => join(folder, name))].map(readPolicyFile),
      );
      const layers: PolicyLayer[] = [];
      const problems: SettingProblem[] = [];
      for (const result of results) {
        if (result.kind === 'layer') layers.push(result.layer);
        else if (result.kind === 'problem') problems.push(result.problem);
      }
      // The last file in name order has the final word: highest precedence first.
      return { layers: layers.reverse(), problems };
    },
  };
}
