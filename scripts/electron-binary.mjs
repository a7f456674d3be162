// postinstall: download Electron's binary at install time, and never let a failed download fail
// `npm ci`. Since Electron 42 the electron package no longer downloads in its own postinstall: it
// downloads the first time the package is loaded or `npx electron` runs. Left to that, the
// download would happen in the middle of a build or a test run (or fail there, where GitHub is
// unreachable), so it runs here, with a notice, through the package's own installer (its
// `install-electron` bin, which checks the archive against the checksums the package ships).
// Build hosts and CI machines without access to GitHub still get Electron's types (everything
// type-checks, every service and the browser reader run); developer laptops get the binary as
// usual. ELECTRON_SKIP_BINARY_DOWNLOAD=1 skips the attempt (Electron itself no longer reads it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) process.exit(0);

let installer;
try {
  installer = join(
    dirname(createRequire(import.meta.url).resolve('electron/package.json')),
    'install.js',
  );
} catch {
  process.exit(0); // production install without devDependencies
}
if (!existsSync(installer)) process.exit(0);

// The download is about 100 MB and the installer prints nothing while it runs: say what the
// wait is, so a slow or silently dropped connection does not look like a hung install.
console.warn(
  "[attache] downloading Electron's binary (set ELECTRON_SKIP_BINARY_DOWNLOAD=1 to skip)…",
);
const result = spawnSync(process.execPath, [installer], {
  stdio: ['ignore', 'ignore', 'pipe'],
  timeout: 300_000,
});
if (result.status !== 0) {
  const reason = String(result.stderr ?? '')
    .split('\n')
    .find((line) => line.trim().length > 0);
  console.warn(
    `[attache] Electron's binary could not be downloaded (${reason ?? 'no reason given'}).\n` +
      '[attache] Everything else is installed: the services, the tests and the reader in a browser work;\n' +
      '[attache] the Electron window and its Playwright suite need the binary (re-run `npm ci` with network access).',
  );
}
