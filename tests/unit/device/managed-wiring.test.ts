// The managed channels as the reader reaches them, and their Electron wiring. Electron cannot
// run under Node, so its BrowserWindow is a fake that records setContentProtection and its
// `shell.openExternal` a fake that records what would have reached the OS; everything else is
// real: the config service over a real policy file, the policy decisions, the screen-capture
// guard, the per-caller opener (external-open.electron.ts) and the handlers the IPC dispatcher
// calls.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceServicesView } from '../../../src/main/composition-root.js';
import { createIpcDispatcher } from '../../../src/main/ipc/dispatcher.js';
import type { DeviceIpcHandlers } from '../../../src/main/ipc/handlers.js';
import { blocksScreenCapture } from '../../../src/main/policy/classification-policy.js';
import { createConfigService } from '../../../src/main/policy/config-service.js';
import { managedHandlers } from '../../../src/main/ipc/managed-handlers.js';
import { createLinuxPolicySource } from '../../../src/main/policy/policy-source.linux.js';
import { createScreenCaptureGuard } from '../../../src/main/policy/screen-capture.js';
import { createUserSettingsFile } from '../../../src/main/policy/user-settings.js';
import { contentProtectionFor } from '../../../src/main/windows/content-protection.electron.js';
import type { ExternalLinkPolicy } from '../../../src/main/windows/external-links.js';
import { externalOpenerFor } from '../../../src/main/windows/external-open.electron.js';
import type { BriefingDetail, BriefingPage } from '../../../src/shared/ipc.js';
import { ok } from '../../../src/shared/result.js';
import { memoryLogger, tempDir } from './fixtures.js';

const openedByOs = vi.hoisted(() => [] as string[]);
vi.mock('electron', () => ({
  shell: {
    openExternal: (url: string) => {
      openedByOs.push(url);
      return Promise.resolve();
    },
  },
}));

/** A fake of Electron's BrowserWindow: records the protection it was given. */
class FakeWindow {
  readonly protection: boolean[] = [];
  setContentProtection(on: boolean): void {
    this.protection.push(on);
  }
  isDestroyed(): boolean {
    return false;
  }
}

function detail(id: string, classification: BriefingDetail['classification']): BriefingDetail {
  return {
    id,
    title: `Title ${id}`,
    summary: '',
    classification,
    priority: 'routine',
    senderName: 'Jordan Lee',
    approvedAt: '2025-01-01T00:00:00.000Z',
    read: false,
    attachmentCount: 1,
    annotationCount: 0,
    bodyHtml: '<p>x</p>',
    senderRole: '',
    updatedAt: '2025-01-01T00:00:00.000Z',
    sourceVersion: 1,
    attachments: [],
  };
}

const BRIEFINGS = [
  detail('briefing:official', 'OFFICIAL'),
  detail('briefing:protected', 'PROTECTED'),
  detail('briefing:secret', 'SECRET'),
  detail('briefing:top', 'TOP SECRET'),
];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  openedByOs.length = 0;
});

async function wired(policy: Record<string, unknown>) {
  const dir = await tempDir('managed-wiring');
  cleanups.push(dir.remove);
  const policyFile = join(dir.path, 'policy.json');
  await writeFile(policyFile, JSON.stringify(policy));
  const { logger } = memoryLogger();
  const config = await createConfigService({
    policy: createLinuxPolicySource({ file: policyFile }),
    person: createUserSettingsFile(dir.path),
    environment: {},
    mode: 'development',
    device: { id: 'device-1', appVersion: '1.2.3' },
    logger,
  });
  const window = new FakeWindow();
  const screenCapture = createScreenCaptureGuard({
    apply: contentProtectionFor(() => window as unknown as BrowserWindow, logger),
    blocks: (marking) => blocksScreenCapture(marking, config.values()!),
  });
  const byId = new Map(BRIEFINGS.map((b) => [b.id, b]));
  const briefings = {
    list: () => Promise.resolve(BRIEFINGS),
    get: (id: string) => Promise.resolve(byId.get(id) ?? null),
    attachment: (id: string, name: string) =>
      Promise.resolve({ name, contentType: 'application/pdf', base64: id }),
    markRead: () => Promise.resolve(ok(null)),
  };
  const device = {
    'briefings:list': async () =>
      ok({ items: await briefings.list(), total: BRIEFINGS.length, unread: BRIEFINGS.length }),
    'briefings:summaries': async () =>
      ok({ items: await briefings.list(), total: BRIEFINGS.length, unread: BRIEFINGS.length }),
    'briefings:get': async ({ id }: { id: string }) => ok(await briefings.get(id)),
    'briefings:attachment': async ({ id, name }: { id: string; name: string }) =>
      ok(await briefings.attachment(id, name)),
  } as unknown as DeviceIpcHandlers;
  const view = {
    workspace: () => ({ briefings }),
    session: () => null,
    syncStatus: () => null,
  } as unknown as DeviceServicesView;
  // The openers main builds, each with the allow-list it was given (as src/main/index.ts does).
  const openerPolicies: ExternalLinkPolicy[] = [];
  const handlers = managedHandlers({
    config,
    screenCapture,
    openerFor: (linkPolicy) => {
      openerPolicies.push(linkPolicy);
      return externalOpenerFor(linkPolicy, logger);
    },
    logDir: join(dir.path, 'logs'),
    logger,
  })(device, view);
  const dispatch = createIpcDispatcher(handlers, logger);
  return { dispatch, window, openerPolicies, config, policyFile, dir };
}

describe('screen capture follows the briefing on screen (Electron faked)', () => {
  it('protects the window while a protected briefing or its attachment shows, and not after', async () => {
    const { dispatch, window } = await wired({ ScreenCaptureBlockedFrom: 'PROTECTED' });
    await dispatch('briefings:get', { id: 'briefing:official' });
    await dispatch('reader:shown', { id: 'briefing:official' });
    expect(window.protection).toEqual([]);

    // On before the reader can draw it, not after.
    await dispatch('briefings:get', { id: 'briefing:secret' });
    expect(window.protection).toEqual([true]);
    await dispatch('reader:shown', { id: 'briefing:secret' });
    expect(window.protection).toEqual([true]);

    await dispatch('reader:shown', { id: 'briefing:official' });
    expect(window.protection).toEqual([true, false]);

    await dispatch('briefings:attachment', { id: 'briefing:protected', name: 'a.pdf' });
    expect(window.protection).toEqual([true, false, true]);
    await dispatch('reader:shown', { id: null });
    expect(window.protection).toEqual([true, false, true, false]);
  });

  it('follows the policy: with no threshold, nothing is protected', async () => {
    const { dispatch, window } = await wired({ ScreenCaptureBlockedFrom: 'none' });
    await dispatch('briefings:get', { id: 'briefing:top' });
    await dispatch('reader:shown', { id: 'briefing:top' });
    expect(window.protection).toEqual([]);
  });
});

describe('the device ceiling in what the reader gets', () => {
  it('lists, opens and serves attachments only at or below the ceiling', async () => {
    const { dispatch } = await wired({ ClassificationCeiling: 'PROTECTED' });
    const list = await dispatch('briefings:list', {});
    expect(list.ok && (list.value as BriefingPage).items.map((b) => b.id)).toEqual([
      'briefing:official',
      'briefing:protected',
    ]);
    const changed = await dispatch('briefings:summaries', { ids: ['briefing:top'] });
    expect(changed.ok && (changed.value as BriefingPage).items.map((b) => b.id)).toEqual([
      'briefing:official',
      'briefing:protected',
    ]);
    expect(await dispatch('briefings:get', { id: 'briefing:secret' })).toEqual(ok(null));
    expect(await dispatch('briefings:attachment', { id: 'briefing:top', name: 'a.pdf' })).toEqual(
      ok(null),
    );
  });
});

describe('links and settings through the managed channels', () => {
  it('opens an allowed link in the system browser and refuses others with the reason', async () => {
    const { dispatch, openerPolicies } = await wired({
      AllowedLinkTargets: ['https://intranet.example.gov.au/'],
    });
    expect(await dispatch('links:open', { url: 'https://intranet.example.gov.au/a' })).toEqual(
      ok({ how: 'system-browser' }),
    );
    // Through the briefing links' own opener, whose allow-list is the policy's hosts.
    expect(openerPolicies).toEqual([
      { purpose: 'briefing link', schemes: ['https:'], hosts: ['intranet.example.gov.au'] },
    ]);
    const refused = await dispatch('links:open', { url: 'https://elsewhere.example.com/' });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'link-not-allowed',
        message: 'Your organisation does not allow Attaché to open links to elsewhere.example.com.',
      },
    });
    expect(openedByOs).toEqual(['https://intranet.example.gov.au/a']);
  });

  it('builds the link opener from the policy in force: a narrowed policy narrows it', async () => {
    const { dispatch, openerPolicies, config, policyFile } = await wired({
      AllowedLinkTargets: ['https://intranet.example.gov.au/', 'https://docs.example.gov.au/'],
    });
    expect(await dispatch('links:open', { url: 'https://docs.example.gov.au/travel' })).toEqual(
      ok({ how: 'system-browser' }),
    );
    await writeFile(
      policyFile,
      JSON.stringify({ AllowedLinkTargets: ['https://intranet.example.gov.au/'] }),
    );
    await config.refresh();
    const refused = await dispatch('links:open', { url: 'https://docs.example.gov.au/travel' });
    expect(refused.ok).toBe(false);
    expect(await dispatch('links:open', { url: 'https://intranet.example.gov.au/b' })).toEqual(
      ok({ how: 'system-browser' }),
    );
    expect(openerPolicies.map((policy) => policy.hosts)).toEqual([
      ['intranet.example.gov.au', 'docs.example.gov.au'],
      ['intranet.example.gov.au'],
    ]);
    expect(openedByOs).toEqual([
      'https://docs.example.gov.au/travel',
      'https://intranet.example.gov.au/b',
    ]);
  });

  it('changes a personal setting, refuses a locked one, and remembers across restarts', async () => {
    const { dispatch, dir } = await wired({ Theme: 'dark' });
    const locked = await dispatch('settings:set', { key: 'theme', value: 'light' });
    expect(locked.ok).toBe(false);
    if (!locked.ok) expect(locked.error.code).toBe('setting-locked');
    const changed = await dispatch('settings:set', { key: 'textSize', value: 'large' });
    expect(changed.ok && (changed.value as { personal: unknown }).personal).toMatchObject({
      theme: 'dark',
      textSize: 'large',
    });
    const invalid = await dispatch('settings:set', { key: 'textSize', value: 'huge' });
    expect(invalid.ok).toBe(false);
    const again = await createConfigService({
      policy: createLinuxPolicySource({ file: join(dir.path, 'policy.json') }),
      person: createUserSettingsFile(dir.path),
      environment: {},
      mode: 'development',
      device: { id: 'device-1', appVersion: '1.2.3' },
      logger: memoryLogger().logger,
    });
    expect(again.view().personal.textSize).toBe('large');
    expect(again.view().lockedPersonal).toEqual({
      theme: true,
      textSize: false,
      dateFormat: false,
      timeFormat: false,
    });
  });
});
