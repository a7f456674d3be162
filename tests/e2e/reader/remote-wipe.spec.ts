// Remote wipe seen from the reader: the person is reading, an administrator orders this device
// wiped through the ops endpoint, and the open reader ends on the sign-in screen saying why,
// with nothing of the person left in the keychain or the data folder.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import keytar from 'keytar';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import { signIn } from '../support/sign-in.js';

test('an administrator wipes the device: the open reader ends on the sign-in screen with the reason', async ({
  product: running,
  reader,
}) => {
  const page = await reader.open();
  await signIn(reader, SAMPLE_USER.id);
  await expect(page.locator('[role="status"][data-state]')).toHaveAttribute(
    'data-state',
    'up-to-date',
  );
  await expect(page.getByTestId('briefing-counts')).toContainText('24');

  const deviceId = running.deviceId();
  const { devices } = await running.ops<{ devices: { deviceId: string }[] }>(
    'GET',
    `/devices?user=${SAMPLE_USER.id}`,
  );
  expect(devices.map((d) => d.deviceId)).toEqual([deviceId]);

  await running.ops('POST', '/devices/wipe', {
    user: SAMPLE_USER.id,
    deviceId,
    orderedBy: 'e2e-service-desk',
  });

  const notice = page.getByTestId('device-wiped-notice');
  await expect(notice).toBeVisible({ timeout: 20_000 });
  await expect(notice).toContainText(
    'Your organisation removed Attaché’s briefings from this device.',
  );
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Briefings' })).toHaveCount(0);

  await page.screenshot({ path: test.info().outputPath('device-wiped.png') });
  // The reader shows the notice as soon as the session ends; the device removes the sign-in from
  // the keychain just after and then logs that the wipe is done. Only then is the keychain
  // listed: keytar's findCredentials crashes the process when an item it found is deleted
  // meanwhile (node-keytar #477).
  await expect.poll(() => reader.output()).toContain("wiped on the organisation's order");
  expect(await keytar.findCredentials(running.keychainService)).toEqual([]);
  expect(await readdir(join(running.deviceDataDir, 'users'))).toEqual([]);
  await expect
    .poll(() => running.auditTrail().some((r) => r['action'] === 'device.wipe-completed'))
    .toBe(true);
});
