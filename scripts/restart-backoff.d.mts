export declare const RESTART_FIRST_MS: number;
export declare const RESTART_MAX_MS: number;
export declare const RUN_COUNTS_AS_STABLE_MS: number;
/** The wait before this restart, and the one to use after the next exit. */
export declare function restartDelay(
  nextDelayMs: number,
  ranForMs: number,
): { delayMs: number; nextDelayMs: number };
