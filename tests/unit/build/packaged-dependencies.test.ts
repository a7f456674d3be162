// What the installer carries: electron-builder packs the production dependency tree of the
// top-level package.json, found by its own npm collector (the code `npm run dist` runs). It must
// hold only what the Electron main process and preload load at run time: the server's packages
// live in the server workspace (server/package.json) and the renderer's are bundled into
// out/renderer by Vite. Allow-list first (the app's direct dependencies are exactly what main and
// preload import), then a named deny-list as a second, readable check.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  getCollectorByPackageManager,
  PM,
} from 'app-builder-lib/out/node-module-collector/index.js';
import { TmpDir } from 'temp-file';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');

/** Packages only the server uses: none may reach a laptop, directly or through another. */
const SERVER_ONLY = [
  'express',
  'express-pouchdb',
  'oidc-provider',
  'koa',
  'amqplib',
  'better-sqlite3',
  'pino',
  'prom-client',
  '@peculiar/x509',
  'reflect-metadata',
  'sanitize-html',
  'pdf-lib',
];

type Module = { name: string; version: string; dependencies?: Module[] };

async function packedModules(): Promise<{ direct: string[]; all: Set<string> }> {
  const tmp = new TmpDir('attache-packaged-dependencies');
  try {
    const collector = getCollectorByPackageManager(PM.NPM, REPO, tmp);
    const { nodeModules } = await collector.getNodeModules({ packageName: 'attache' });
    const all = new Set<string>();
    const walk = (modules: readonly Module[] | undefined): void => {
      for (const module of modules ?? []) {
        all.add(module.name);
        walk(module.dependencies);
      }
    };
    walk(nodeModules);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    return { direct: Object.keys(pkg.dependencies ?? {}).sort(), all };
  } finally {
    await tmp.cleanup();
  }
}

/** The packages (not Node built-ins, not electron itself) that code under `dirs` imports. */
function importedPackages(dirs: readonly string[]): string[] {
  const found = new Set<string>();
  const specifier = /(?:^|[^.\w])(?:from\s+|import\s*\(\s*|require\(\s*)'([^'.][^']*)'/g;
  for (const dir of dirs) {
    for (const file of readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })) {
      if (!/\.tsx?$/.test(file)) continue;
      const source = readFileSync(join(REPO, dir, file), 'utf8')
        // Type-only imports vanish from the build.
        .replace(/^import type [^;]+;/gm, '');
      for (const match of source.matchAll(specifier)) {
        const name = match[1] ?? '';
        if (name.startsWith('node:') || name === 'electron') continue;
        const [scope = '', base = ''] = name.split('/');
        found.add(name.startsWith('@') ? `${scope}/${base}` : scope);
      }
    }
  }
  return [...found].sort();
}

describe('the packaged app’s dependencies', () => {
  it('are exactly what the main process and preload load (the renderer is bundled)', async () => {
    const runtime = importedPackages(['src/main', 'src/preload', 'src/shared']);
    const { direct } = await packedModules();
    expect(
      direct,
      `package.json "dependencies" is what the installer carries; a package the renderer ` +
        `imports belongs in devDependencies (Vite bundles it), a server one in server/package.json`,
    ).toEqual(runtime);
  }, 120_000);

  it('hold no server package, not even through another package', async () => {
    const { all } = await packedModules();
    expect(SERVER_ONLY.filter((name) => all.has(name))).toEqual([]);
    // Everything the server workspace depends on that the app does not, likewise.
    const server = JSON.parse(readFileSync(join(REPO, 'server/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const serverOnly = Object.keys(server.dependencies).filter(
      (name) => !importedPackages(['src/main', 'src/preload', 'src/shared']).includes(name),
    );
    expect(serverOnly.length).toBeGreaterThan(5);
    expect(serverOnly.filter((name) => all.has(name))).toEqual([]);
  }, 120_000);
});
