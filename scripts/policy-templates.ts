// Writes the managed-configuration templates (ADMX/ADML, .mobileconfig, JSON Schema) from the
// settings schema into deploy/policy/. Run after changing src/main/policy/schema.ts and commit
// the result: `npm run policy:templates`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { TEMPLATES_DIR, buildTemplates } from '../src/main/policy/templates/index.js';

const repo = resolve(import.meta.dirname, '..');
const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
  version: string;
};
for (const [path, text] of Object.entries(buildTemplates(manifest.version))) {
  const file = join(repo, TEMPLATES_DIR, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  console.log(`wrote ${join(TEMPLATES_DIR, path)}`);
}
