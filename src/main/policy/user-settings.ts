// The person's own settings (theme, text size, date and time format): one small JSON file in the
// app's data folder, written whole and durably (files/durable-write.ts) so that a crash never
// leaves half of it. A file that cannot be read is kept aside, not overwritten in silence.
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../files/durable-write.js';

export function userSettingsFile(dataDir: string): string {
  return join(dataDir, 'settings.json');
}

export type UserSettingsFile = {
  readonly path: string;
  readonly read: () => Promise<Record<string, unknown>>;
  readonly write: (values: Readonly<Record<string, unknown>>) => Promise<void>;
};

export function createUserSettingsFile(
  dataDir: string,
  onKeptAside?: (path: string) => void,
): UserSettingsFile {
  const path = userSettingsFile(dataDir);
  // Serialises writes: two quick changes must not race their renames.
  let writing: Promise<void> = Promise.resolve();
  return {
    path,
    read: async () => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw error;
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          return parsed as Record<string, unknown>;
        }
      } catch {
        // Not JSON: kept aside below.
      }
      const aside = `${path}.unreadable-${Date.now()}`;
      await rename(path, aside);
      onKeptAside?.(aside);
      return {};
    },
    write: (values) => {
      const next = writing.then(async () => {
        await mkdir(dataDir, { recursive: true });
        await writeFileDurably(path, `${JSON.stringify(values, null, 2)}\n`);
      });
      writing = next.catch(() => undefined);
      return next;
    },
  };
}
