// Colours of the protective markings (Australian PSPF). PROTECTED blue, SECRET salmon and
// TOP SECRET red follow the framework's traditional colours; the others are chosen to stay
// distinct from them and from each other. Every pair meets WCAG AA (4.5:1) for the marking
// text, which is always shown: colour is never the only cue. A unit test holds both promises.
import { CLASSIFICATIONS, type Classification } from '../../../shared/briefing.js';

export type MarkingColours = { readonly background: string; readonly foreground: string };

export const CLASSIFICATION_COLOURS: Readonly<Record<Classification, MarkingColours>> = {
  UNOFFICIAL: { background: '#e4e7eb', foreground: '#2d333a' },
  OFFICIAL: { background: '#3f4b5b', foreground: '#ffffff' },
  'OFFICIAL: Sensitive': { background: '#f3cf4a', foreground: '#2b2100' },
  PROTECTED: { background: '#1f5fad', foreground: '#ffffff' },
  SECRET: { background: '#f0aaa1', foreground: '#3d0c06' },
  'TOP SECRET': { background: '#b3141c', foreground: '#ffffff' },
};

/** Shown for a marking this build does not know (a newer server): neutral, never "safe"-looking. */
export const UNKNOWN_MARKING_COLOURS: MarkingColours = {
  background: '#5c2d91',
  foreground: '#ffffff',
};

export function isClassification(value: string): value is Classification {
  return (CLASSIFICATIONS as readonly string[]).includes(value);
}

export function classificationColours(marking: string): MarkingColours {
  return isClassification(marking) ? CLASSIFICATION_COLOURS[marking] : UNKNOWN_MARKING_COLOURS;
}

/** CSS custom properties for an element that paints itself in a marking's colours. */
export function classificationStyle(
  marking: string,
): Record<'--marking-bg' | '--marking-fg', string> {
  const colours = classificationColours(marking);
  return { '--marking-bg': colours.background, '--marking-fg': colours.foreground };
}
