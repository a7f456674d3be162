// The log on disk: electron-log (its Node build, as the browser host runs it) writing real
// files that rotate through a bounded number of bounded files, and the logger's redaction of
// tokens and personal data reaching those files.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listLogFiles } from '../../../src/main/logging/log-files.js';
import { createFileLogSink } from '../../../src/main/logging/log-sink.file.js';
import { createLogger } from '../../../src/main/logging/logger.js';
import {
  personMark,
  registerPersonalData,
  registerSecret,
} from '../../../src/main/logging/redact.js';
import { tempDir } from './fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('log files', () => {
  it('rotate through several files of bounded size, dropping the oldest', async () => {
    const dir = await tempDir('logs');
    cleanups.push(dir.remove);
    const maxBytes = 4_000;
    const logger = createLogger('test', createFileLogSink({ dir: dir.path, maxBytes, kept: 4 }));
    for (let i = 0; i < 400; i += 1)
      logger.info(`record ${String(i).padStart(4, '0')}`, { pad: 'x'.repeat(60) });

    expect((await readdir(dir.path)).sort()).toEqual([
      'main.1.log',
      'main.2.log',
      'main.3.log',
      'main.log',
    ]);
    const files = await listLogFiles(dir.path);
    expect(files.map((f) => f.slice(dir.path.length + 1))).toEqual([
      'main.log',
      'main.1.log',
      'main.2.log',
      'main.3.log',
    ]);
    for (const file of files) {
      // A file is rotated once it passes the bound: at most one record beyond it.
      expect((await stat(file)).size).toBeLessThan(maxBytes + 200);
    }
    const newest = await readFile(files[0]!, 'utf8');
    expect(newest).toContain('record 0399');
    // The first records went with the oldest file.
    const all = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('');
    expect(all).not.toContain('record 0000');
    // One JSON line per record.
    const line = newest.trim().split('\n').at(-1)!;
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      scope: 'test',
      message: 'record 0399',
    });
  });

  it('never hold tokens, briefing content or the person in clear', async () => {
    const dir = await tempDir('logs-redacted');
    cleanups.push(dir.remove);
    const logger = createLogger('test', createFileLogSink({ dir: dir.path }));
    const token = 'opaque-refresh-token-0123456789abcdef';
    registerSecret(token);
    registerPersonalData('alex.morgan');
    registerPersonalData('Alex Morgan');
    logger.info('signed in', { user: 'alex.morgan' });
    logger.warn(`refresh with ${token} for Alex Morgan (alex.morgan) failed`);
    logger.info('opened', {
      title: 'Canary budget paper',
      bodyHtml: '<p>canary</p>',
      id: 'briefing:1',
    });
    const text = await readFile(join(dir.path, 'main.log'), 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain('alex.morgan');
    expect(text).not.toContain('Alex Morgan');
    expect(text).not.toContain('anary');
    expect(text).toContain(personMark('alex.morgan'));
    expect(text).toContain(personMark('Alex Morgan'));
    expect(text).toContain('briefing:1');
  });
});
