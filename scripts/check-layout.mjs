// Checks what the folder tree promises a reader (docs/architecture.md, "Boundaries"):
// 1. No import cycle between capability folders. Files are grouped by the folder they live in
//    (`server/src/fanout/`, `server/src/demo/sor/`, `src/main/sync/`); a cycle is any path of
//    imports that leaves a folder and comes back to it. File-level cycle finders cannot see
//    this: `a/x.ts -> b/y.ts` and `b/z.ts -> a/w.ts` is no file cycle, yet the two folders can
//    no longer be understood, tested or moved one without the other.
// 2. No product file over MAX_LINES lines, except data and the files listed in OVERSIZED with
//    the reason they are still long.
// `npm run lint` runs it; tests/unit/scripts/check-layout.test.ts proves it rejects a cycle.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Roots whose folders are capabilities; imports leaving a root are the lint rules' concern. Files
 * at a root (`src/main/composition-root.ts`, `src/renderer/src/main.tsx`) are its wiring: they may
 * import any folder, and no folder may import them.
 */
export const CAPABILITY_ROOTS = [
  'server/src',
  'src/host',
  'src/shared',
  'src/preload',
  'src/main',
  'src/renderer/src',
];

/** Where product files live (for the file-size check). */
export const PRODUCT_ROOTS = CAPABILITY_ROOTS;

export const MAX_LINES = 400;

/**
 * Product files still over MAX_LINES, each with why. The list only shrinks: a new long file
 * fails the check.
 */
export const OVERSIZED = new Map([]);

const SOURCE = /\.(ts|tsx|mts)$/;
const DATA = /\.(json|ya?ml|d\.ts)$/;

function listFiles(dir, match) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...listFiles(full, match));
    } else if (match.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out;
}

/** Resolves a relative import the way NodeNext does for this repo (`./x.js` names `./x.ts`). */
function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  const candidates = [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.mts`,
    path.join(base, 'index.ts'),
  ];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) ?? null;
}

/** Every import (static, type-only, re-export, dynamic) of one file, by specifier. */
function importsOf(file) {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The folder a file belongs to, relative to its root; files at the root are its wiring. */
function folderOf(root, file) {
  const dir = path.relative(root, path.dirname(file));
  return dir === '' ? '(wiring)' : dir.split(path.sep).join('/');
}

/** Folder -> folders it imports, with one file-level example per edge. */
export function folderGraph(root) {
  const absRoot = path.resolve(repoRoot, root);
  const graph = new Map();
  for (const file of listFiles(absRoot, SOURCE)) {
    const from = folderOf(absRoot, file);
    if (!graph.has(from)) graph.set(from, new Map());
    for (const specifier of importsOf(file)) {
      const target = resolveImport(file, specifier);
      if (!target || path.relative(absRoot, target).startsWith('..')) continue;
      const to = folderOf(absRoot, target);
      if (to === from || graph.get(from).has(to)) continue;
      const example = `${path.relative(repoRoot, file)} -> ${path.relative(repoRoot, target)}`;
      graph.get(from).set(to, example);
    }
  }
  return graph;
}

/**
 * The folder cycles under `root`: each strongly connected group of two or more folders, with
 * the imports that close it. Tarjan's algorithm over the folder graph.
 */
export function findFolderCycles(root) {
  const graph = folderGraph(root);
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node)?.keys() ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node), index.get(to)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return groups.map((folders) => ({
    root,
    folders,
    imports: folders.flatMap((from) =>
      [...(graph.get(from) ?? new Map())]
        .filter(([to]) => folders.includes(to))
        .map(([, example]) => example),
    ),
  }));
}

/** Product files over MAX_LINES that are neither data nor listed in OVERSIZED. */
export function findOversizedFiles(roots = PRODUCT_ROOTS, allowed = OVERSIZED) {
  const found = [];
  for (const root of roots) {
    for (const file of listFiles(path.resolve(repoRoot, root), SOURCE)) {
      if (DATA.test(file)) continue;
      const rel = path.relative(repoRoot, file);
      const lines = fs.readFileSync(file, 'utf8').split('\n').length - 1;
      if (lines > MAX_LINES && !allowed.has(rel)) found.push({ file: rel, lines });
    }
  }
  return found;
}

function main() {
  const cycles = CAPABILITY_ROOTS.flatMap((root) => findFolderCycles(root));
  const oversized = findOversizedFiles();
  for (const cycle of cycles) {
    console.error(
      `Folder import cycle in ${cycle.root}: ${cycle.folders.join(' <-> ')}\n  ${cycle.imports.join('\n  ')}`,
    );
  }
  for (const { file, lines } of oversized) {
    console.error(
      `${file} has ${lines} lines (most is ${MAX_LINES}): split it by what it does, or move data out of code.`,
    );
  }
  if (cycles.length > 0 || oversized.length > 0) process.exit(1);
  console.log(
    `layout ok: no folder import cycle in ${CAPABILITY_ROOTS.join(', ')}; no product file over ${MAX_LINES} lines beyond the ${OVERSIZED.size} listed`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
