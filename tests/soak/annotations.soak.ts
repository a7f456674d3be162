// Part of `npm run test:soak`: the annotations soak (annotations-soak.ts), SOAK_ROUNDS (20) kills
// of a device process writing and syncing annotations. Needs an unlocked keyring (README,
// "Benchmarks and soak").
import { runAnnotationsSoak } from './annotations-soak.js';

const rounds = Number(process.env['SOAK_ROUNDS'] ?? 20);
const started = Date.now();
const result = await runAnnotationsSoak({
  rounds,
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(
  `annotations soak passed: ${result.killedWhileWriting} of ${result.rounds} kills landed while writing; all ${result.saved} annotations reported saved found once on the device, on the server and in the SOR, the store sound (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
);
