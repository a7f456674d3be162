// A sign-out that cannot erase the local copy: the person is signed out, but their briefings are
// still on the device, and the reader must say so with main's advice, not a generic failure.
// The store folder is made undeletable from outside (an immutable file inside it; chmod where
// the test is not root, since root ignores permissions), which is what a locked keychain or a
// file held open does to the erase from the device's side.
import { execFile } from 'node:child_process';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import { signIn } from '../support/sign-in.js';

const run = promisify(execFile);
const ADVICE =
  'You are signed out, but the copy of your briefings on this device could not be erased. Make sure the system keychain is unlocked and sign out again, or ask IT support.';

/** Makes `folder` refuse to be removed; returns the undo. */
async function pinFolder(folder: string): Promise<() => Promise<void>> {
  if (process.getuid?.() === 0) {
    const pinned = join(folder, 'pinned');
    await writeFile(pinned, '');
    await run('chattr', ['+i', pinned]);
    return async () => {
      await run('chattr', ['-i', pinned]);
    };
  }
  await chmod(folder, 0o500);
  return () => chmod(folder, 0o700);
}

test('when the local copy cannot be erased at sign-out, the reader shows what to do', async ({
  product: running,
  reader,
}) => {
  const page = await reader.open();
  await signIn(reader, SAMPLE_USER.id);
  await expect(page.locator('[role="status"][data-state]')).toHaveAttribute(
    'data-state',
    'up-to-date',
  );
  const users = join(running.deviceDataDir, 'users');
  const [storeFolder] = await readdir(users);
  if (!storeFolder) throw new Error('no store folder after sign-in');
  const unpin = await pinFolder(join(users, storeFolder));
  try {
    await page.getByTestId('signed-in-user').click();
    await page.getByRole('button', { name: 'Sign out…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Sign out of Attaché?' });
    await confirm.getByRole('button', { name: 'Sign out' }).click();

    const problem = page.getByTestId('sign-out-problem');
    await expect(problem).toHaveText(ADVICE);
    await expect(problem).toHaveAttribute('role', 'alert');
    await expect(page.getByText('Attaché could not complete this request')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('sign-out-erase-failed.png') });
    expect(await readdir(users)).toEqual([storeFolder]);
    await expect.poll(() => reader.output()).toContain('the local copy could not be erased');
  } finally {
    await unpin();
  }

  // Signing in again clears the notice: it was about that sign-out.
  await signIn(reader, SAMPLE_USER.id);
  await expect(page.getByTestId('sign-out-problem')).toHaveCount(0);
});
