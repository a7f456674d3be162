// Sign-in end to end, in the reader (Chromium through the browser host, or the Electron app)
// against the real processes: the development OpenID provider (https, local CA), msal-node on
// the device, tokens in the real gnome-keyring. Playwright plays the system browser the reader
// opens the provider's page in.
import { readdir, readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import keytar from 'keytar';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';
import { DEV_IDP, SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import type { Product } from '../support/product.js';
import { completeProviderLogin, signIn } from '../support/sign-in.js';
import { tokensInKeychain } from '../support/tokens.js';

const syncStatus = (page: Page) => page.locator('[role="status"][data-state]');
const signInButton = (page: Page) => page.getByRole('button', { name: 'Sign in', exact: true });

async function expectAccessible(page: Page): Promise<void> {
  // The watermark is faint on purpose: decoration, hidden from assistive technology, and
  // "incidental" text that WCAG 1.4.3 exempts from contrast.
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag22aa'])
    .exclude('.watermark')
    .analyze();
  // Each violation with the elements it names and why, so a failure says what to fix.
  expect(
    results.violations.map(
      (v) =>
        `${v.id}: ${v.help} ${v.nodes.map((n) => `[${n.target.join(' ')}: ${n.failureSummary ?? ''}]`).join(' ')}`,
    ),
  ).toEqual([]);
}

/** Files under `dir` whose raw bytes contain any of `secrets`. */
async function filesContaining(dir: string, secrets: readonly string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'ENOENT') continue; // folders; files LevelDB retired
      throw error;
    }
    if (secrets.some((secret) => bytes.includes(secret))) hits.push(name);
  }
  return hits;
}

test.describe('at debug level', () => {
  // At debug level the device's log includes msal's own lines: they must not hold a token either.
  test.use({ productOptions: { hostLogLevel: 'debug' } });

  test('signs in through the provider, syncs, renews silently after a restart, opens offline, and signs out', async ({
    product: running,
    reader,
  }) => {
    let page = await reader.open();

    // Locked until someone signs in: the sign-in screen, and nothing of the reader.
    await expect(page.getByRole('heading', { name: 'Attaché', level: 1 })).toBeVisible();
    await expect(signInButton(page)).toBeFocused();
    await expect(page.getByRole('navigation', { name: 'Briefings' })).toHaveCount(0);
    await expectAccessible(page);

    const providerTab = await signIn(reader, SAMPLE_USER.id);
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
    await expect(page.getByTestId('briefing-counts')).toContainText('24');
    await expectAccessible(page);
    await providerTab.close();

    // The tokens are in the OS keychain, and nowhere the reader or the disk can see them.
    const seen = new Set<string>();
    /** Every token the keychain has held so far: in no file, no host log line, not the page. */
    const expectTokensOnlyInKeychain = async (): Promise<void> => {
      const { access, refresh, id } = await tokensInKeychain(running.keychainService);
      expect(access.length, 'an access token in the keychain').toBeGreaterThanOrEqual(1);
      expect(refresh.length, 'a refresh token in the keychain').toBeGreaterThanOrEqual(1);
      expect(id.length, 'an ID token in the keychain').toBeGreaterThanOrEqual(1);
      for (const token of [...access, ...refresh, ...id]) seen.add(token);
      expect(await filesContaining(running.deviceDataDir, [...seen])).toEqual([]);
      const output = reader.output();
      const content = await page.content();
      for (const token of seen) {
        expect(output).not.toContain(token);
        expect(content).not.toContain(token);
      }
    };
    await expectTokensOnlyInKeychain();
    // The scan saw msal's debug lines. (Electron's log file keeps info and above:
    // log-sink.electron.ts; the app's console output is what is scanned there.)
    if (reader.shell === 'chromium') expect(reader.output()).toMatch(/"level":"debug"/);
    const pageStorage = await page.evaluate(() =>
      JSON.stringify({ ...window.localStorage, ...window.sessionStorage }),
    );
    for (const token of seen) expect(pageStorage).not.toContain(token);

    // Restart: signed in again silently from the keychain, no browser.
    expect(await reader.providerPagesOpened()).toBe(1);
    page = await reader.restart();
    await expect(page.getByTestId('signed-in-user')).toHaveAttribute(
      'data-user-id',
      SAMPLE_USER.id,
    );
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
    expect(await reader.providerPagesOpened()).toBe(1);
    await expectTokensOnlyInKeychain(); // msal rewrote its cache in the keychain, nowhere else

    // The network is cut (the server, the provider with it, is gone) and the device restarts:
    // the cached account opens the briefings.
    await running.stopServer();
    page = await reader.restart();
    await expect(page.getByTestId('signed-in-user')).toHaveAttribute(
      'data-user-id',
      SAMPLE_USER.id,
    );
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'offline');
    await expect(page.getByTestId('briefing-counts')).toContainText('24');
    expect(await reader.providerPagesOpened()).toBe(1);

    // Read offline: the read receipt waits on the device.
    const unread = page.locator('[data-unread="true"]').first();
    await unread.click();
    await expect(page.getByRole('main', { name: 'Briefing' })).toBeVisible();
    await expect(syncStatus(page)).toHaveAttribute('data-pending-uploads', '1');

    // Sign-out erases the device's copy, so it asks first; with a receipt the server has not
    // confirmed, it says so and the person may stay signed in: nothing is lost or erased.
    await page.getByTestId('signed-in-user').click();
    await page.getByRole('button', { name: 'Sign out…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Sign out of Attaché?' });
    await expect(confirm).toBeVisible();
    await expectAccessible(page);
    await confirm.getByRole('button', { name: 'Sign out' }).click();
    const warning = page.getByRole('dialog', { name: '1 item has not reached the office' });
    await expect(warning).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('sign-out-unsent.png') });
    await warning.getByRole('button', { name: 'Stay signed in' }).click();
    await expect(warning).toBeHidden();
    await expect(page.getByTestId('signed-in-user')).toHaveAttribute(
      'data-user-id',
      SAMPLE_USER.id,
    );
    expect((await keytar.findCredentials(running.keychainService)).length).toBeGreaterThanOrEqual(
      3,
    );

    // Back online the receipt goes by itself; then sign-out leaves nothing behind: no token, no
    // sign-in record, no store key in the keychain, no store on disk; the reader is locked.
    await running.startServer();
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date', { timeout: 30_000 });
    await expect(syncStatus(page)).toHaveAttribute('data-pending-uploads', '0');
    await expectTokensOnlyInKeychain();
    await page.getByTestId('signed-in-user').click();
    await page.getByRole('button', { name: 'Sign out…' }).click();
    await confirm.getByRole('button', { name: 'Sign out' }).click();
    await expect(signInButton(page)).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Briefings' })).toHaveCount(0);
    await expect(
      page.getByRole('status').filter({
        hasText:
          'You are signed out. Your briefings and your sign-in were removed from this device.',
      }),
    ).toBeVisible();
    // The reader locks as soon as the tokens are gone; the erase finishes just after, the store's
    // files last (tokens, sign-in record, then the store key leave the keychain before them). The
    // keychain is listed only then: keytar's findCredentials crashes the process (SIGSEGV) when
    // an item it found has no secret any more, as one being deleted by the device (node-keytar
    // #477). The product never lists the keychain; it reads and deletes by name.
    await expect.poll(() => readdir(join(running.deviceDataDir, 'users'))).toEqual([]);
    const accounts = (await keytar.findCredentials(running.keychainService)).map((e) => e.account);
    expect(accounts).toEqual([]);

    // Restarting does not bring anyone back.
    page = await reader.restart();
    await expect(signInButton(page)).toBeVisible();

    // Signing in again asks for the password again, although this browser still has a session
    // with the provider (after a sign-out the device asks for prompt=login), then downloads the
    // briefings anew, the one read before still read.
    await signInButton(page).click();
    const providerAgain = await reader.nextProviderPage();
    await expect(providerAgain.getByLabel('Password')).toBeVisible();
    await completeProviderLogin(providerAgain, SAMPLE_USER.id);
    await expect(
      providerAgain.getByRole('heading', { name: 'You’re signed in to Attaché' }),
    ).toBeVisible();
    await expect(page.getByTestId('signed-in-user')).toHaveAttribute(
      'data-user-id',
      SAMPLE_USER.id,
    );
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
    await expect(page.getByTestId('briefing-counts')).toContainText('24');
    await expect(page.locator('[data-unread="false"]')).toHaveCount(1);
  });
});

test('a sign-in can be cancelled, and a wrong password keeps the reader waiting for a right one', async ({
  reader,
}) => {
  const page = await reader.open();

  await signInButton(page).click();
  await (await reader.nextProviderPage()).getByLabel('Username').waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(signInButton(page)).toBeFocused();

  await signInButton(page).click();
  const providerPage = await reader.nextProviderPage();
  await completeProviderLogin(providerPage, SAMPLE_USER.id, 'not-the-password');
  await expect(providerPage.getByRole('alert')).toBeVisible();
  await expect(page.getByText('Continue in your browser…')).toBeVisible();
  await completeProviderLogin(providerPage, SAMPLE_USER.id);
  await expect(page.getByTestId('signed-in-user')).toHaveAttribute('data-user-id', SAMPLE_USER.id);
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
});

/** Revokes a refresh token at the development provider, as an administrator would. */
async function revokeAtProvider(running: Product, token: string): Promise<void> {
  const ca = await readFile(running.caFile, 'utf8');
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      new URL('token/revocation', running.authority),
      { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(
      new URLSearchParams({
        token,
        token_type_hint: 'refresh_token',
        client_id: DEV_IDP.readerClientId,
      }).toString(),
    );
  });
  expect(status).toBe(200);
}

test('when the provider no longer renews the sign-in, the reader says so, keeps the briefings open, and signing in again resumes sync', async ({
  product: running,
  reader,
}) => {
  let page = await reader.open();
  await signIn(reader);
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');

  // Overnight: the laptop is off, its access token expires, and an administrator revokes the
  // person's sign-in. (The expired token is taken out of msal's cache in the keychain; the
  // refresh token is revoked at the provider.)
  await reader.close();
  const keychain = createKeytarKeychain({ service: running.keychainService });
  const cache = JSON.parse((await keychain.get(SECRET_NAMES.msalTokenCache)) ?? '{}') as {
    AccessToken?: Record<string, unknown>;
    RefreshToken?: Record<string, { secret: string }>;
  };
  const refreshToken = Object.values(cache.RefreshToken ?? {})[0]?.secret ?? '';
  expect(refreshToken).not.toBe('');
  await revokeAtProvider(running, refreshToken);
  await keychain.set(SECRET_NAMES.msalTokenCache, JSON.stringify({ ...cache, AccessToken: {} }));

  // Next morning: the reader opens on the briefings, and the sync status asks for a sign-in.
  page = await reader.open();
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'sign-in-needed');
  await expect(syncStatus(page)).toContainText('Sign-in needed');
  await expect(page.getByRole('button', { name: 'Sync now' })).toBeDisabled();
  await expect(page.getByTestId('briefing-counts')).toContainText('24');
  await page.locator('.briefing-item').first().click();
  await expect(page.getByRole('main', { name: 'Briefing' })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: test.info().outputPath('sign-in-needed.png') });

  // "Sign in again" opens the provider; once through, sync resumes by itself.
  await page.getByRole('button', { name: 'Sign in again' }).click();
  const providerPage = await reader.nextProviderPage();
  // The provider may still know this browser (its session outlives the revoked token).
  const password = providerPage.getByLabel('Password');
  const done = providerPage.getByRole('heading', { name: 'You’re signed in to Attaché' });
  await expect(password.or(done)).toBeVisible();
  if (await password.isVisible()) await completeProviderLogin(providerPage, SAMPLE_USER.id);
  await expect(done).toBeVisible();
  await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');
  await expect(page.getByRole('button', { name: 'Sign in again' })).toHaveCount(0);
});

test.describe('with a short offline period', () => {
  // 0.0001 days: about 8.6 seconds of offline access.
  test.use({ productOptions: { maxOfflineDays: 0.0001 } });

  test('offline past the allowed period, the reader locks until the device reconnects and signs in', async ({
    product: running,
    reader,
  }) => {
    let page = await reader.open();
    await signIn(reader);
    await expect(syncStatus(page)).toHaveAttribute('data-state', 'up-to-date');

    await running.stopServer();
    await reader.close();
    // The period has to pass with the device closed: there is no event to wait on.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    page = await reader.open();
    await expect(page.getByText('your briefings are locked')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Briefings' })).toHaveCount(0);
    await expectAccessible(page);

    // Back on the network: signing in again (the provider remembers the browser's session).
    await running.startServer();
    await signInButton(page).click();
    await reader.nextProviderPage();
    await expect(page.getByTestId('signed-in-user')).toHaveAttribute(
      'data-user-id',
      SAMPLE_USER.id,
    );
    await expect(page.getByTestId('briefing-counts')).toContainText('24');
  });
});
