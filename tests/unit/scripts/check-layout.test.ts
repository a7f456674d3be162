// The layout check (scripts/check-layout.mjs, run by `npm run lint`): folder-level import cycles
// and oversized product files fail it.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CAPABILITY_ROOTS,
  OVERSIZED,
  findFolderCycles,
  findOversizedFiles,
} from '../../../scripts/check-layout.mjs';

const FIXTURE = 'tests/fixtures/layout/folder-cycle';

describe('folder import cycles', () => {
  it('rejects two folders that import each other through different files', () => {
    const cycles = findFolderCycles(FIXTURE);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.folders).toEqual(['billing', 'ledger']);
    expect(cycles[0]?.imports).toEqual(
      expect.arrayContaining([
        `${FIXTURE}/billing/invoice.ts -> ${FIXTURE}/ledger/entry.ts`,
        `${FIXTURE}/ledger/posting.ts -> ${FIXTURE}/billing/rates.ts`,
      ]),
    );
  });

  it('rejects a capability that imports a file at the root, which is the wiring', () => {
    const root = 'tests/fixtures/layout/wiring-cycle';
    const cycles = findFolderCycles(root);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.folders).toEqual(['(wiring)', 'session']);
    expect(cycles[0]?.imports).toEqual(
      expect.arrayContaining([`${root}/session/controller.ts -> ${root}/events.ts`]),
    );
  });

  it('checks the device and the reader, whose folders were the last to import in circles', () => {
    expect(CAPABILITY_ROOTS).toEqual(expect.arrayContaining(['src/main', 'src/renderer/src']));
  });

  it.each(CAPABILITY_ROOTS)('finds no folder import cycle in %s', (root) => {
    expect(findFolderCycles(root)).toEqual([]);
  });
});

describe('file sizes', () => {
  it('leaves no product file over the limit but data and the listed exceptions', () => {
    expect(findOversizedFiles()).toEqual([]);
  });

  it('lists as exceptions only files that exist and are still long', () => {
    for (const file of OVERSIZED.keys()) {
      expect(fs.readFileSync(file, 'utf8').split('\n').length).toBeGreaterThan(400);
    }
  });
});
