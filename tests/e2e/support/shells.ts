// The two shells the reader runs in, behind one `Reader` handle, so that one spec drives either:
// - chromium: the browser host (the device services in a Node process) serving the reader to a
//   tab of the test's Chromium; the provider's sign-in page opens in another tab of that browser.
// - electron: the real Electron app through Playwright's Electron driver; the app hands the
//   sign-in page to the OS (shell.openExternal), which the test takes over and opens in the
//   test's Chromium, playing the person's system browser.
// Either way the device keeps its data in the product's device folder, one per test.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  _electron as electron,
  type BrowserContext,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import type { Product } from './product.js';
import { waitFor } from './processes.js';

const repo = resolve(import.meta.dirname, '../../..');

export type Shell = 'chromium' | 'electron';

export type Reader = {
  readonly shell: Shell;
  /** The reader's tab (chromium) or window (electron); a new one after each `open`. */
  readonly page: Page;
  /** Starts the device side (the browser host, or the app) and opens the reader. */
  open(): Promise<Page>;
  /** Stops the device side as a person quitting it would. The server keeps running. */
  close(): Promise<void>;
  /** `close`, then `open`: a restart of the device. */
  restart(): Promise<Page>;
  /**
   * The next sign-in page the reader handed to the system browser (waits for it). Pages are
   * taken in the order the reader opened them, including ones opened before this call.
   */
  nextProviderPage(): Promise<Page>;
  /**
   * The next page the reader handed to the system browser, whatever it was: a sign-in page or a
   * briefing's link the person confirmed (the same queue as `nextProviderPage`).
   */
  nextSystemBrowserPage(): Promise<Page>;
  /**
   * How many pages the reader has handed to the system browser in this test (sign-in pages, and
   * briefing links the person confirmed).
   */
  providerPagesOpened(): Promise<number>;
  /** The running Electron app (electron shell, once open); null in the browser. */
  readonly electronApp: ElectronApplication | null;
  /** Everything the device side logged (the host's output, or the app's output and log files). */
  output(): string;
  /** Stops everything this handle started. */
  dispose(): Promise<void>;
};

/** Pages in arrival order, each taken once; `refresh` looks for new ones while waiting. */
function pageQueue(refresh: () => Promise<void> = () => Promise.resolve()) {
  const pages: Page[] = [];
  let taken = 0;
  return {
    push: (page: Page) => pages.push(page),
    next: () =>
      waitFor('a sign-in page in the system browser', async () => {
        await refresh();
        const page = pages[taken];
        if (page) taken += 1;
        return page;
      }),
  };
}

export function chromiumReader(product: Product, page: Page): Reader {
  const providerPages = pageQueue();
  let opened = 0;
  // Tabs the reader opens are the provider's sign-in pages, or links the person confirmed. (Only
  // the reader's own pop-ups count: other tabs of this browser, such as the blank page axe-core
  // opens for its report, do not.)
  page.on('popup', (tab) => {
    opened += 1;
    providerPages.push(tab);
  });
  const reader: Reader = {
    shell: 'chromium',
    page,
    electronApp: null,
    async open() {
      await product.startHost();
      await page.goto(product.readerUrl);
      return page;
    },
    close: () => product.stopHost(),
    async restart() {
      await reader.close();
      return reader.open();
    },
    nextProviderPage: () => providerPages.next(),
    nextSystemBrowserPage: () => providerPages.next(),
    providerPagesOpened: () => Promise.resolve(opened),
    output: () => product.hostOutput(),
    dispose: () => product.stopHost(),
  };
  return reader;
}

/** The device-side settings the host gets from Product, given to the app the same way. */
function electronEnvironment(product: Product): Record<string, string> {
  return {
    ATTACHE_BROKER_URL: product.deviceBrokerUrl,
    ATTACHE_AUTHORITY: product.authority,
    ATTACHE_TLS_CA_FILE: product.caFile,
    ...(product.options.maxOfflineDays === undefined
      ? {}
      : { ATTACHE_MAX_OFFLINE_DAYS: String(product.options.maxOfflineDays) }),
    ...(product.options.hostLogLevel ? { ATTACHE_LOG_LEVEL: product.options.hostLogLevel } : {}),
    ...product.devicePolicyEnvironment(),
  };
}

/** The arguments the app is launched with: the project folder (package.json names the entry). */
export function electronArguments(dataDir: string): string[] {
  return [
    repo,
    `--user-data-dir=${dataDir}`,
    // Chromium's OS-level sandbox refuses to start as root (CI runs as root). The page's own
    // isolation (sandbox, contextIsolation, no Node) is Electron's and the hardening spec checks it.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];
}

export async function launchElectron(
  binary: string,
  product: Product,
): Promise<ElectronApplication> {
  return electron.launch({
    executablePath: binary,
    args: electronArguments(product.deviceDataDir),
    env: { ...process.env, ...electronEnvironment(product) } as Record<string, string>,
  });
}

type SignInSlot = { attacheSignInUrls?: string[] };

export function electronReader(
  binary: string,
  product: Product,
  /** The person's system browser: the test's Chromium context. */
  systemBrowser: BrowserContext,
): Reader {
  let app: ElectronApplication | null = null;
  let current: Page | null = null;
  const appOutput: string[] = [];
  /** Sign-in URLs of earlier launches (each launch's list lives in its own main process). */
  const earlierUrls: string[] = [];
  let opened = 0;

  const signInUrls = async (): Promise<string[]> => {
    const running = app
      ? await app.evaluate(() => (globalThis as SignInSlot).attacheSignInUrls ?? [])
      : [];
    return [...earlierUrls, ...running];
  };

  /** Opens, in the system browser, every sign-in URL the app handed out since the last look. */
  const openNewSignInPages = async (): Promise<void> => {
    const urls = await signInUrls();
    for (; opened < urls.length; opened += 1) {
      const page = await systemBrowser.newPage();
      await page.goto(urls[opened] ?? '');
      providerPages.push(page);
    }
  };
  const providerPages = pageQueue(openNewSignInPages);

  const logFiles = (): string => {
    const dir = join(product.deviceDataDir, 'logs');
    try {
      return readdirSync(dir)
        .map((name) => readFileSync(join(dir, name), 'utf8'))
        .join('\n');
    } catch {
      return '';
    }
  };

  const reader: Reader = {
    shell: 'electron',
    get page(): Page {
      if (!current) throw new Error('the Electron reader is not open: call reader.open() first');
      return current;
    },
    get electronApp(): ElectronApplication | null {
      return app;
    },
    async open() {
      app = await launchElectron(binary, product);
      const child = app.process();
      child.stdout?.on('data', (chunk: Buffer) => appOutput.push(chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => appOutput.push(chunk.toString('utf8')));
      // The OS's browser is the test's: what the app hands it (sign-in pages, confirmed briefing
      // links) is recorded instead of opened.
      await app.evaluate(({ shell }) => {
        const slot = globalThis as SignInSlot;
        slot.attacheSignInUrls = [];
        shell.openExternal = (url: string) => {
          slot.attacheSignInUrls?.push(url);
          return Promise.resolve();
        };
      });
      current = await app.firstWindow();
      return current;
    },
    async close() {
      if (!app) return;
      earlierUrls.splice(0, earlierUrls.length, ...(await signInUrls()));
      await app.close();
      app = null;
      current = null;
    },
    async restart() {
      await reader.close();
      return reader.open();
    },
    nextProviderPage: () => providerPages.next(),
    nextSystemBrowserPage: () => providerPages.next(),
    providerPagesOpened: async () => (await signInUrls()).length,
    output: () => [...appOutput, logFiles()].join('\n'),
    dispose: () => reader.close(),
  };
  return reader;
}
