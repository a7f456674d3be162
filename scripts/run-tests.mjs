// Runs every stage of the test suite in order and ends with one line that says how many tests
// ran. A stage that fails, a failed test, or a suite that ran no test makes the exit code non-zero.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { installedElectronBinary } from './electron-installed.mjs';

const only = process.argv.slice(2); // e.g. `unit e2e` to run a subset
const reports = mkdtempSync(join(tmpdir(), 'attache-test-reports-'));
const vitestJson = join(reports, 'vitest.json');
const playwrightJson = join(reports, 'playwright.json');

// The Electron suite opens a real window, which needs a display: on a headless machine with the
// Electron binary, the e2e stage runs under a virtual one (scripts/test.sh installs xvfb then).
const needsVirtualDisplay =
  !process.env.DISPLAY &&
  installedElectronBinary() !== null &&
  spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error === undefined;
const e2eCommand = ['npx', 'playwright', 'test', '--reporter=list,json'];

const stages = [
  { name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '--silent', 'lint'] },
  { name: 'build', cmd: ['npm', 'run', '--silent', 'build'] },
  {
    name: 'unit+integration',
    cmd: [
      'npx',
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${vitestJson}`,
    ],
  },
  {
    name: 'e2e',
    cmd: needsVirtualDisplay ? ['xvfb-run', '--auto-servernum', ...e2eCommand] : e2eCommand,
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson },
  },
].filter((s) => only.length === 0 || only.some((o) => s.name.includes(o)));

const failedStages = [];
for (const stage of stages) {
  console.log(`\n=== ${stage.name}: ${stage.cmd.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(stage.cmd[0], stage.cmd.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ...(stage.env ?? {}) },
  });
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (r.status !== 0) {
    failedStages.push(stage.name);
    console.log(`=== ${stage.name} FAILED after ${secs}s (exit ${r.status ?? r.signal})`);
  } else {
    console.log(`=== ${stage.name} ok in ${secs}s`);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const skipReasons = new Set();
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + v.numTodoTests;
}
if (existsSync(playwrightJson)) {
  const p = JSON.parse(readFileSync(playwrightJson, 'utf8'));
  passed += p.stats.expected + p.stats.flaky;
  failed += p.stats.unexpected;
  skipped += p.stats.skipped;
  const walk = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        for (const a of t.annotations ?? [])
          if (a.type === 'skip' && a.description) skipReasons.add(a.description);
    for (const s of suite.suites ?? []) walk(s);
  };
  for (const s of p.suites ?? []) walk(s);
}

// A CI log is often read from its end only, and a flaky test's first lines are all there is to
// go on: each failure is named with the start of what it said.
// eslint-disable-next-line no-control-regex -- the colour codes a reporter wrote are what it strips
const strip = (text) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '');
const gist = (messages) => {
  const lines = messages
    .flatMap((message) => strip(message).split('\n'))
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(0, 6)
    .map((line) => `    ${line.length > 240 ? `${line.slice(0, 240)}…` : line}`);
  return lines.length > 0 ? `\n${lines.join('\n')}` : '';
};

const failedNames = [];
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  for (const file of v.testResults ?? [])
    for (const t of file.assertionResults ?? [])
      if (t.status === 'failed')
        failedNames.push(
          `${relative(process.cwd(), file.name)} > ${t.fullName}${gist(t.failureMessages ?? [])}`,
        );
  for (const file of v.testResults ?? [])
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0)
      failedNames.push(
        `${relative(process.cwd(), file.name)} (the file did not load: ${file.message ?? ''})`,
      );
}
if (existsSync(playwrightJson)) {
  const p = JSON.parse(readFileSync(playwrightJson, 'utf8'));
  const walk = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        if (t.status === 'unexpected')
          failedNames.push(
            `[${t.projectName}] ${spec.file}:${spec.line} > ${spec.title}${gist(
              (t.results ?? []).flatMap((result) => result.error?.message ?? []).slice(-1),
            )}`,
          );
    for (const s of suite.suites ?? []) walk(s);
  };
  for (const s of p.suites ?? []) walk(s);
}

const ran = passed + failed;
for (const reason of skipReasons) console.log(`skipped: ${reason}`);
// The failures are named last, beside the verdict: a CI log is often read from its end only.
for (const name of failedNames) console.log(`failed: ${name}`);
if (failedStages.length > 0) console.log(`failed stages: ${failedStages.join(', ')}`);
const verdict = failedStages.length === 0 && failed === 0 && ran > 0 ? 'PASS' : 'FAIL';
console.log(
  `\nAttaché test suite ${verdict}: ${ran} tests ran, ${passed} passed, ${failed} failed, ${skipped} skipped`,
);
process.exit(verdict === 'PASS' ? 0 : 1);
