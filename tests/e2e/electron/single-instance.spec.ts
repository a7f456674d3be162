// Electron only: one copy of the app per person. A second copy would open the same LevelDB files
// (which LevelDB refuses) and race the first one's sync; it hands over to the running copy and
// quits instead (src/main/index.ts, requestSingleInstanceLock).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, test } from '../support/fixtures.js';
import { electronArguments } from '../support/shells.js';

test('a second start with the same data folder quits at once and brings the running reader forward', async ({
  product,
  reader,
  electronBinary,
}) => {
  await reader.open();
  const app = reader.electronApp;
  if (!app || !electronBinary) throw new Error('this spec runs in the electron project only');
  expect(await app.evaluate(({ app: main }) => main.hasSingleInstanceLock())).toBe(true);
  await app.evaluate(({ app: main }) => {
    const slot = globalThis as { secondInstances?: number };
    slot.secondInstances = 0;
    main.on('second-instance', () => {
      slot.secondInstances = (slot.secondInstances ?? 0) + 1;
    });
  });

  const second = spawn(electronBinary, electronArguments(product.deviceDataDir), {
    env: process.env,
    stdio: 'ignore',
  });
  // It must quit by itself, promptly: it never gets a window or opens the store.
  const [code] = (await once(second, 'exit', { signal: AbortSignal.timeout(30_000) })) as [
    number | null,
  ];
  expect(code).toBe(0);

  await expect
    .poll(() => app.evaluate(() => (globalThis as { secondInstances?: number }).secondInstances))
    .toBe(1);
  expect(app.windows()).toHaveLength(1);
  await expect(reader.page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
});
