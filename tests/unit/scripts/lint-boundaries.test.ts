// The boundary rules in eslint.config.js (docs/architecture.md, "Boundaries"): each deliberate
// violation below must be reported by the repo's own ESLint configuration, and the same code in
// a place it is allowed must not. The text is linted as if it were the named file, so the
// type-aware configuration and the import resolver see the real tree.
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('folder boundaries', { timeout: 120_000 }, () => {
  it('refuses a server file that imports the device', async () => {
    const ids = await ruleIds(
      'server/src/fanout/transform.ts',
      "import { ConfigError } from '../../../src/main/config.js';\nexport const error = ConfigError;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  });

  it('refuses a renderer file that imports main', async () => {
    const ids = await ruleIds(
      'src/renderer/src/main.tsx',
      "import { ConfigError } from '../../main/config.js';\nexport const error = ConfigError;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  });

  it('refuses a server capability that imports the wiring', async () => {
    const ids = await ruleIds(
      'server/src/fanout/transform.ts',
      "import { startServer } from '../server.js';\nexport const start = startServer;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  });

  it('refuses a device capability that imports the wiring at the root of src/main', async () => {
    const ids = await ruleIds(
      'src/main/sync/status.ts',
      "import { ConfigError } from '../config.js';\nexport const error = ConfigError;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  });

  it('lets the device wiring import the other root files', async () => {
    const ids = await ruleIds(
      'src/main/composition-root.ts',
      "import { ConfigError } from './config.js';\nexport const error = ConfigError;\n",
    );
    expect(ids).not.toContain('import-x/no-restricted-paths');
    expect(ids.filter((id) => id.startsWith('fatal'))).toEqual([]);
  });

  it('refuses a product capability that imports the demo SOR', async () => {
    const ids = await ruleIds(
      'server/src/fanout/transform.ts',
      "import { SEED_BRIEFING_COUNT } from '../demo/sor/seed-briefings.js';\nexport const seed = SEED_BRIEFING_COUNT;\n",
    );
    expect(ids).toContain('import-x/no-restricted-paths');
  });

  it('lets the wiring import the demo and the capabilities', async () => {
    const ids = await ruleIds(
      'server/src/pipeline/pipeline.ts',
      "import { SEED_BRIEFING_COUNT } from '../demo/sor/seed-briefings.js';\nexport const seed = SEED_BRIEFING_COUNT;\n",
    );
    expect(ids).not.toContain('import-x/no-restricted-paths');
  });
});

describe('adapter-only packages', { timeout: 120_000 }, () => {
  it.each(['leveldown', 'abstract-leveldown', 'oidc-provider', 'koa'])(
    'refuses an import of %s outside its adapter files',
    async (pkg) => {
      const ids = await ruleIds(
        'server/src/fanout/transform.ts',
        `import * as lib from '${pkg}';\nexport const loaded = lib;\n`,
      );
      expect(ids).toContain('no-restricted-imports');
    },
  );

  it('refuses createRequire of leveldown outside its adapter files', async () => {
    const code = [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "export const leveldown: unknown = require('leveldown');",
      '',
    ].join('\n');
    expect(await ruleIds('server/src/fanout/transform.ts', code)).toContain('no-restricted-syntax');
    expect(await ruleIds('server/src/couch/leveldb-purge.pouch.ts', code)).not.toContain(
      'no-restricted-syntax',
    );
  });

  it('refuses a dynamic import of oidc-provider outside its adapter files', async () => {
    const code = "export const load = () => import('oidc-provider');\n";
    expect(await ruleIds('server/src/broker/jwks.ts', code)).toContain('no-restricted-syntax');
    expect(await ruleIds('server/src/demo/idp/dev-idp.oidc.ts', code)).not.toContain(
      'no-restricted-syntax',
    );
  });
});
