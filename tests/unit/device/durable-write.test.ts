// The device's crash-safe writer: the new content reaches the disk before its name does, and the
// name (the folder's entry) is synced after the rename, so a power loss leaves the old file or
// the new one. The calls on `fs` are watched in the order the writer makes them.
import fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordHost } from '../../../src/host/host-instance.js';
import { loadOrCreateDeviceIdentity } from '../../../src/main/device/device-identity.js';
import { writeFileDurably } from '../../../src/main/files/durable-write.js';
import { createUserSettingsFile } from '../../../src/main/policy/user-settings.js';
import { writePushWatermark } from '../../../src/main/storage/returns-backlog.leveldown.js';

type Step =
  | { readonly kind: 'open'; readonly path: string; readonly fd: number }
  | { readonly kind: 'fsync'; readonly fd: number }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string };

function watchFs(): Step[] {
  const steps: Step[] = [];
  const open = fs.open;
  vi.spyOn(fs, 'open').mockImplementation((...args: unknown[]) => {
    const callback = args.at(-1) as (error: Error | null, fd?: number) => void;
    const rest = args.slice(0, -1) as Parameters<typeof fs.openSync>;
    (open as (...a: unknown[]) => void)(...rest, (error: Error | null, fd?: number) => {
      if (!error && fd !== undefined) steps.push({ kind: 'open', path: String(rest[0]), fd });
      callback(error, fd);
    });
  });
  const fsync = fs.fsync;
  vi.spyOn(fs, 'fsync').mockImplementation((fd: number, callback: fs.NoParamCallback) => {
    steps.push({ kind: 'fsync', fd });
    fsync(fd, callback);
  });
  const rename = fs.rename;
  vi.spyOn(fs, 'rename').mockImplementation(
    (from: fs.PathLike, to: fs.PathLike, callback: fs.NoParamCallback) => {
      steps.push({ kind: 'rename', from: String(from), to: String(to) });
      rename(from, to, callback);
    },
  );
  return steps;
}

describe('writeFileDurably', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'attache-durable-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('syncs the new content before renaming it into place, then syncs the folder', async () => {
    const file = join(dir, 'device-id');
    await writeFile(file, 'old\n');
    const steps = watchFs();

    await writeFileDurably(file, 'new\n');

    expect(await readFile(file, 'utf8')).toBe('new\n');
    const rename = steps.findIndex((step) => step.kind === 'rename');
    expect(steps[rename]).toMatchObject({ to: file });
    const temp = (steps[rename] as { readonly from: string }).from;
    expect(temp).not.toBe(file);
    const openedAt = (path: string) =>
      steps.find((step): step is Extract<Step, { kind: 'open' }> => {
        return step.kind === 'open' && step.path === path;
      });
    const tempFd = openedAt(temp)?.fd;
    const folderFd = openedAt(dir)?.fd;
    // File descriptors are reused once closed: each sync is looked for after its own open.
    const fsyncAfter = (from: number, fd: number | undefined) =>
      steps.findIndex((step, at) => at > from && step.kind === 'fsync' && step.fd === fd);
    const tempOpen = steps.indexOf(openedAt(temp) as Step);
    expect(fsyncAfter(tempOpen, tempFd)).toBeGreaterThan(tempOpen);
    expect(fsyncAfter(tempOpen, tempFd)).toBeLessThan(rename);
    // The folder is opened and synced after the rename: the new name is what it makes durable.
    const folderOpen = steps.indexOf(openedAt(dir) as Step);
    expect(folderOpen).toBeGreaterThan(rename);
    expect(fsyncAfter(folderOpen, folderFd)).toBeGreaterThan(folderOpen);
  });

  it('leaves only the file, owner-only, and the last of two overlapping writes', async () => {
    const file = join(dir, 'settings.json');
    await Promise.all([writeFileDurably(file, 'first'), writeFileDurably(file, 'second')]);
    expect(await readFile(file, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['settings.json']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps the previous content and no temp file when the write fails', async () => {
    const file = join(dir, 'returns-pushed.json');
    await writeFile(file, 'kept');
    vi.spyOn(fs, 'fsync').mockImplementation((_fd: number, callback: fs.NoParamCallback) => {
      callback(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    });

    await expect(writeFileDurably(file, 'lost')).rejects.toThrow('EIO');
    expect(await readFile(file, 'utf8')).toBe('kept');
    expect(await readdir(dir)).toEqual(['returns-pushed.json']);
  });

  // The authority metadata's writer goes through it too (auth/authority-metadata.ts); it needs an
  // identity provider to answer, so its own tests cover what it writes.
  it.each([
    ['the device id', (folder: string) => loadOrCreateDeviceIdentity(folder, () => 'laptop')],
    ['the push watermark', (folder: string) => writePushWatermark(folder, 7)],
    [
      'the settings file',
      (folder: string) => createUserSettingsFile(folder).write({ theme: 'dark' }),
    ],
    ['the reader host record', (folder: string) => recordHost(folder, 'http://127.0.0.1:1')],
  ])('%s is written through it: the folder is synced after the rename', async (_name, write) => {
    const steps = watchFs();
    await write(dir);
    const rename = steps.findIndex((step) => step.kind === 'rename');
    expect(rename).toBeGreaterThanOrEqual(0);
    const folderOpen = steps.findIndex(
      (step, at) => at > rename && step.kind === 'open' && step.path === dir,
    );
    expect(folderOpen).toBeGreaterThan(rename);
    const folderFd = (steps[folderOpen] as { readonly fd: number }).fd;
    expect(
      steps.some((step, at) => at > folderOpen && step.kind === 'fsync' && step.fd === folderFd),
    ).toBe(true);
  });
});
