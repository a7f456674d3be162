// Playwright plays the system browser: the reader (browser-host mode) opens the provider's
// sign-in page in a new tab; the test fills the real login form there, and msal-node in the
// host finishes the code exchange on its loopback listener.
import { chromium, expect, type ElectronApplication, type Page } from '@playwright/test';
import { devAccountsWithPasswords } from '../../../server/src/idp/dev-users.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';

export function samplePassword(user: string): string {
  const account = devAccountsWithPasswords().find((a) => a.id === user);
  if (!account) throw new Error(`${user} is not a sample account of the development provider`);
  return account.password;
}

/** Fills the provider's login form in its tab. */
export async function completeProviderLogin(
  providerPage: Page,
  user: string = SAMPLE_USER.id,
  password: string = samplePassword(user),
): Promise<void> {
  await providerPage.getByLabel('Username').fill(user);
  await providerPage.getByLabel('Password').fill(password);
  await providerPage.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** From the reader's sign-in screen to the signed-in reader. Returns the provider's tab. */
export async function signIn(page: Page, user: string = SAMPLE_USER.id): Promise<Page> {
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const providerPage = await popup;
  await expect(page.getByText('Continue in your browser…')).toBeVisible();
  await completeProviderLogin(providerPage, user);
  await expect(
    providerPage.getByRole('heading', { name: 'You’re signed in to Attaché' }),
  ).toBeVisible();
  await expect(page.getByTestId('signed-in-user')).toHaveAttribute('data-user-id', user);
  return providerPage;
}

/**
 * The Electron app hands the sign-in page to the OS (shell.openExternal). The test takes that
 * call over in the main process and plays the system browser with its own Chromium.
 */
export async function signInElectron(
  app: ElectronApplication,
  page: Page,
  user: string = SAMPLE_USER.id,
): Promise<void> {
  await app.evaluate(({ shell }) => {
    const slot = globalThis as { attacheSignInUrls?: string[] };
    slot.attacheSignInUrls = [];
    shell.openExternal = (url: string) => {
      slot.attacheSignInUrls?.push(url);
      return Promise.resolve();
    };
  });
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  let url: string | undefined;
  await expect
    .poll(async () => {
      url = await app.evaluate(
        () => (globalThis as { attacheSignInUrls?: string[] }).attacheSignInUrls?.[0],
      );
      return url;
    })
    .toMatch(/^https:\/\//);
  const browser = await chromium.launch({
    executablePath: process.env.ATTACHE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    // The provider's certificate comes from the product's development CA, which this
    // throwaway browser does not know; the device itself verifies it (ATTACHE_TLS_CA_FILE).
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const providerPage = await context.newPage();
    await providerPage.goto(url ?? '');
    await completeProviderLogin(providerPage, user);
    await expect(
      providerPage.getByRole('heading', { name: 'You’re signed in to Attaché' }),
    ).toBeVisible();
  } finally {
    await browser.close();
  }
  await expect(page.getByTestId('signed-in-user')).toHaveAttribute('data-user-id', user);
}
