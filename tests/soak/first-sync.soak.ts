// `npm run test:soak`: the first-sync soak (first-sync-soak.ts), SOAK_ROUNDS (20) kills of a
// device process pulling SOAK_BRIEFINGS (8000) briefings, one in five with a PDF. Needs an
// unlocked keyring (README, "Benchmarks and soak").
import { runFirstSyncSoak } from './first-sync-soak.js';

const rounds = Number(process.env['SOAK_ROUNDS'] ?? 20);
const briefings = Number(process.env['SOAK_BRIEFINGS'] ?? 8_000);
const started = Date.now();
const result = await runFirstSyncSoak({
  rounds,
  briefings,
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(
  `soak passed: ${result.killedMidSync} of ${result.rounds} kills landed mid-sync; ${result.briefings} briefings complete, every revision and attachment as the source holds it, the store sound (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
);
