// The back-off rule is shared with the device (src/shared/backoff.ts); the server's callers
// import it from here so that the rule has one home and one test.
export { backoffDelayMs } from '../../../src/shared/backoff.js';
