import { describe, expect, it } from 'vitest';
import { CLASSIFICATIONS } from '../../../src/shared/briefing.js';
import {
  CLASSIFICATION_COLOURS,
  UNKNOWN_MARKING_COLOURS,
  classificationColours,
  classificationStyle,
} from '../../../src/renderer/src/ui/classification.js';

// WCAG 2.x relative luminance and contrast ratio.
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r = 0, g = 0, b = 0] = channels.map((c) =>
    c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4,
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('classification marking colours', () => {
  it('gives every marking its own background colour', () => {
    const backgrounds = CLASSIFICATIONS.map((c) => CLASSIFICATION_COLOURS[c].background);
    expect(new Set([...backgrounds, UNKNOWN_MARKING_COLOURS.background]).size).toBe(
      CLASSIFICATIONS.length + 1,
    );
  });

  it.each([...CLASSIFICATIONS])('paints "%s" with text that meets WCAG AA contrast', (marking) => {
    const { background, foreground } = CLASSIFICATION_COLOURS[marking];
    expect(contrast(background, foreground)).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps the traditional colours of the higher markings', () => {
    const hue = (hex: string) => {
      const [r = 0, g = 0, b = 0] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      return { r, g, b };
    };
    const protectedBlue = hue(CLASSIFICATION_COLOURS.PROTECTED.background);
    expect(protectedBlue.b).toBeGreaterThan(protectedBlue.r);
    const topSecretRed = hue(CLASSIFICATION_COLOURS['TOP SECRET'].background);
    expect(topSecretRed.r).toBeGreaterThan(topSecretRed.g + 100);
  });

  it('shows a marking it does not know in a distinct colour rather than as something else', () => {
    expect(classificationColours('RESTRICTED')).toEqual(UNKNOWN_MARKING_COLOURS);
    expect(
      contrast(UNKNOWN_MARKING_COLOURS.background, UNKNOWN_MARKING_COLOURS.foreground),
    ).toBeGreaterThanOrEqual(4.5);
  });

  it('exposes the colours as CSS custom properties', () => {
    expect(classificationStyle('PROTECTED')).toEqual({
      '--marking-bg': CLASSIFICATION_COLOURS.PROTECTED.background,
      '--marking-fg': CLASSIFICATION_COLOURS.PROTECTED.foreground,
    });
  });
});
