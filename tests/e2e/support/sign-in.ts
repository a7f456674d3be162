// Playwright plays the system browser: the reader opens the provider's sign-in page there (a new
// tab of the test's browser, or, from Electron, the test's browser in place of the OS's); the
// test fills the real login form, and msal-node on the device finishes the code exchange on its
// loopback listener.
import { expect, type Page } from '@playwright/test';
import type { Reader } from './shells.js';
import { devAccountsWithPasswords } from '../../../server/src/demo/idp/dev-users.js';
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

/**
 * From the reader's sign-in screen to the signed-in reader, through the provider's page in the
 * system browser. Returns the provider's page.
 */
export async function signIn(reader: Reader, user: string = SAMPLE_USER.id): Promise<Page> {
  const page = reader.page;
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const providerPage = await reader.nextProviderPage();
  await expect(page.getByText('Continue in your browser…')).toBeVisible();
  await completeProviderLogin(providerPage, user);
  await expect(
    providerPage.getByRole('heading', { name: 'You’re signed in to Attaché' }),
  ).toBeVisible();
  await expect(page.getByTestId('signed-in-user')).toHaveAttribute('data-user-id', user);
  return providerPage;
}
