// What the organisation's classification policy means for a briefing of a given marking: may it
// be printed, may its text be copied, is screen capture blocked while it is on screen, and may
// this device hold it at all. Pure decisions over the resolved settings; the reader, the window
// and the store apply them.
import type { Classification } from '../../shared/briefing.js';
import { CLASSIFICATIONS } from '../../shared/briefing.js';
import type { MarkingPolicy } from '../../shared/settings.js';
import type { SettingValues, Threshold } from './schema.js';
import { NOTHING } from './schema.js';

export type ClassificationSettings = Pick<
  SettingValues,
  'classificationCeiling' | 'printBlockedFrom' | 'copyBlockedFrom' | 'screenCaptureBlockedFrom'
>;

/** Rank in the marking scheme, lowest first; a marking the device does not know ranks highest. */
export function markingRank(marking: string): number {
  const index = (CLASSIFICATIONS as readonly string[]).indexOf(marking);
  return index === -1 ? CLASSIFICATIONS.length : index;
}

/** Whether `marking` is at or above `threshold` ('none': nothing is). */
export function reaches(marking: string, threshold: Threshold): boolean {
  return threshold !== NOTHING && markingRank(marking) >= markingRank(threshold);
}

/** Above the device's ceiling: never stored here. Unknown markings are treated as above. */
export function exceedsCeiling(marking: string, ceiling: Classification): boolean {
  return markingRank(marking) > markingRank(ceiling);
}

export function markingPolicy(
  marking: Classification,
  settings: ClassificationSettings,
): MarkingPolicy {
  return {
    marking,
    print: reaches(marking, settings.printBlockedFrom) ? 'blocked' : 'watermarked',
    copy: reaches(marking, settings.copyBlockedFrom) ? 'blocked' : 'allowed',
    screenCapture: reaches(marking, settings.screenCaptureBlockedFrom) ? 'blocked' : 'allowed',
    aboveCeiling: exceedsCeiling(marking, settings.classificationCeiling),
  };
}

export function markingPolicies(settings: ClassificationSettings): readonly MarkingPolicy[] {
  return CLASSIFICATIONS.map((marking) => markingPolicy(marking, settings));
}

/** Screen capture must be blocked while a briefing of this marking (or its attachment) shows. */
export function blocksScreenCapture(marking: string, settings: ClassificationSettings): boolean {
  return reaches(marking, settings.screenCaptureBlockedFrom);
}
