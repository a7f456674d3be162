// Electron only: the reader window's hardening, checked in the real window. The unit tests prove
// the wiring with Electron faked (tests/unit/device/main-window-wiring.test.ts); this checks
// Electron's own view of the window and what the page can actually do against it.
import type { ElectronApplication, Page } from '@playwright/test';
import { API_EVENTS, API_VERBS } from '../../../src/shared/ipc.js';
import { expect, test } from '../support/fixtures.js';

function electronApp(app: ElectronApplication | null): ElectronApplication {
  if (!app) throw new Error('this spec runs in the electron project only');
  return app;
}

test('the page sees the contract’s verbs and nothing of Node or Electron', async ({ reader }) => {
  const page = await reader.open();
  const surface = await page.evaluate(() => {
    const g = globalThis as { require?: unknown; process?: unknown; attache?: object };
    return {
      require: typeof g.require,
      process: typeof g.process,
      verbs: Object.keys(g.attache ?? {}).sort(),
    };
  });
  expect(surface).toEqual({
    require: 'undefined',
    process: 'undefined',
    verbs: [...Object.keys(API_VERBS), ...Object.keys(API_EVENTS)].sort(),
  });
});

test('the window is sandboxed, isolated, opens no windows, leaves its origin for nothing, and runs no inline script', async ({
  reader,
}) => {
  const page = await reader.open();
  await expectHardenedWindow(electronApp(reader.electronApp), page);
});

async function expectHardenedWindow(app: ElectronApplication, page: Page): Promise<void> {
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    // What Electron applied to the renderer. getLastWebPreferences exists at run time but is
    // missing from Electron's published typings, hence the local type.
    const contents = BrowserWindow.getAllWindows()[0]?.webContents as
      { getLastWebPreferences(): Electron.WebPreferences | null } | undefined;
    const last = contents?.getLastWebPreferences();
    return {
      contextIsolation: last?.contextIsolation,
      sandbox: last?.sandbox,
      nodeIntegration: last?.nodeIntegration,
    };
  });
  expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });

  const origin = await page.evaluate(() => location.origin);
  expect(origin).toBe('attache://app');

  // The window-open handler denies: the page gets null and no window appears.
  expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  expect(app.windows()).toHaveLength(1);

  // will-navigate is refused: the page keeps its origin and its globals (a navigation, even a
  // failed one, would replace the document and drop the marker). The attempt is awaited as the
  // event itself: a listener beside the app's guard records it once the guard has decided.
  await app.evaluate(({ BrowserWindow }) => {
    const slot = globalThis as { navigationsSeen?: string[] };
    slot.navigationsSeen = [];
    BrowserWindow.getAllWindows()[0]?.webContents.on('will-navigate', (details) => {
      slot.navigationsSeen?.push(details.url);
    });
  });
  await page.evaluate(() => {
    (globalThis as { navigationMarker?: string }).navigationMarker = 'still here';
    location.href = 'https://example.com/';
  });
  await expect
    .poll(() => app.evaluate(() => (globalThis as { navigationsSeen?: string[] }).navigationsSeen))
    .toEqual(['https://example.com/']);
  expect(
    await page.evaluate(() => ({
      origin: location.origin,
      marker: (globalThis as { navigationMarker?: string }).navigationMarker,
    })),
  ).toEqual({ origin, marker: 'still here' });

  // The CSP allows no inline script: an injected <script> element never runs.
  const inlineRan = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'globalThis.inlineScriptRan = true;';
    document.head.append(script);
    script.remove();
    return typeof (globalThis as { inlineScriptRan?: unknown }).inlineScriptRan;
  });
  expect(inlineRan).toBe('undefined');
}
