// The search workers inside the packaged app: electron-builder packs what `files` in
// electron-builder.yml selects into app.asar (unpacking what `asarUnpack` names) and only the
// production dependencies. This lays the build (out/, from `npm run build`) out as the package
// would and checks that threads/workers.ts finds each worker there, that everything the worker
// imports is packed with it, and that the native module it loads is unpacked. Electron itself
// cannot run here; skipped, with the reason, before a build.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, matchesGlob, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../../src/main/threads/workers.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const OUT = join(ROOT, 'out', 'main');
const WORKERS = ['index-worker', 'pdf-text-worker', 'workspace-worker'];
/** Packages with a native part: it cannot be loaded from inside the archive. */
const NATIVE = ['better-sqlite3-multiple-ciphers', 'leveldown'];

/** A top-level list of electron-builder.yml (`key:` then `  - item` lines). */
function yamlList(text: string, key: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`${key}:`));
  if (start < 0) return [];
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const item = /^\s+-\s+(.+?)\s*$/.exec(line)?.[1];
    if (item) items.push(item.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
  }
  return items;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Whether electron-builder's patterns select a path (later `!` patterns take it out again). */
function selected(path: string, patterns: readonly string[]): boolean {
  let chosen = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchesGlob(path, pattern.slice(1))) chosen = false;
    } else if (matchesGlob(path, pattern)) chosen = true;
  }
  return chosen;
}

/** A module's static imports: `from "x"` and side-effect `import "x"`. */
function importsOf(code: string): string[] {
  // A specifier has no spaces: a comment's quoted words ("blocked from" x) are not an import.
  return [...code.matchAll(/(?:\bfrom|^import)\s*["']([^"'\s]+)["']/gm)].map((m) => m[1] as string);
}

const packageName = (specifier: string): string =>
  specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] as string);

describe.skipIf(!existsSync(join(OUT, 'index-worker.js')))(
  'the search workers in the packaged app (out/main laid out as in app.asar)',
  () => {
    const config = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
    const files = yamlList(config, 'files');
    const asarUnpack = yamlList(config, 'asarUnpack');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const asar = join('/opt', 'Attaché', 'resources', 'app.asar');
    const packed = new Set(
      filesUnder(join(ROOT, 'out'))
        .map((file) => relative(ROOT, file))
        .filter((path) => selected(path, files) && !selected(path, asarUnpack))
        .map((path) => join(asar, path)),
    );
    // A module looks for its worker in its own folder (threads/workers.ts): the build keeps
    // every chunk beside the entries, in out/main itself.
    const folders = readdirSync(OUT, { withFileTypes: true }).filter((entry) =>
      entry.isDirectory(),
    );
    const here = join(asar, 'out', 'main');

    it('finds each worker inside app.asar, where the package puts it', () => {
      expect(
        folders.map((entry) => entry.name),
        'out/main holds no folder',
      ).toEqual([]);
      for (const name of WORKERS) {
        const entry = workerEntry(here, name, (path) => packed.has(path));
        expect(entry).toEqual({ file: join(here, `${name}.js`), execArgv: [] });
      }
    });

    it('packs everything a worker imports: its chunks, and its packages as dependencies', () => {
      const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));
      for (const name of WORKERS) {
        const seen = new Set<string>();
        const visit = (file: string): void => {
          if (seen.has(file)) return;
          seen.add(file);
          for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
            if (specifier.startsWith('.')) {
              const target = join(dirname(file), specifier);
              expect(packed.has(join(asar, relative(ROOT, target))), `${name}: ${specifier}`).toBe(
                true,
              );
              visit(target);
            } else if (!specifier.startsWith('node:')) {
              expect(
                dependencies.has(packageName(specifier)),
                `${name} imports ${specifier}: a production dependency, or it is not packed`,
              ).toBe(true);
            }
          }
        };
        visit(join(OUT, `${name}.js`));
      }
    });

    it('unpacks the native module the index worker loads, and nothing of the app itself', () => {
      for (const name of NATIVE) {
        expect(
          selected(`node_modules/${name}/build/Release/better_sqlite3.node`, asarUnpack),
          `${name} unpacked`,
        ).toBe(true);
      }
      for (const name of WORKERS) expect(selected(`out/main/${name}.js`, asarUnpack)).toBe(false);
    });

    it('says which worker is missing from a package, instead of reaching for tsx', () => {
      expect(() => workerEntry(here, 'index-worker', () => false)).toThrow(
        /index-worker worker is missing from the packaged app/,
      );
    });
  },
);
