// The policy decisions, case by case: what each marking may do, the device's ceiling, and which
// links open.
import { describe, expect, it } from 'vitest';
import {
  exceedsCeiling,
  markingPolicies,
  markingPolicy,
} from '../../../src/main/policy/classification-policy.js';
import { linkDecision } from '../../../src/shared/link-policy.js';
import { createScreenCaptureGuard } from '../../../src/main/policy/screen-capture.js';

const DEFAULTS = {
  classificationCeiling: 'TOP SECRET',
  printBlockedFrom: 'SECRET',
  copyBlockedFrom: 'SECRET',
  screenCaptureBlockedFrom: 'PROTECTED',
} as const;

describe('classification policy per marking', () => {
  it('blocks printing, copying and screen capture from their thresholds up', () => {
    expect(markingPolicy('OFFICIAL', DEFAULTS)).toEqual({
      marking: 'OFFICIAL',
      print: 'watermarked',
      copy: 'allowed',
      screenCapture: 'allowed',
      aboveCeiling: false,
    });
    expect(markingPolicy('PROTECTED', DEFAULTS)).toMatchObject({
      print: 'watermarked',
      copy: 'allowed',
      screenCapture: 'blocked',
    });
    expect(markingPolicy('TOP SECRET', DEFAULTS)).toMatchObject({
      print: 'blocked',
      copy: 'blocked',
      screenCapture: 'blocked',
    });
  });

  it("'none' blocks nothing", () => {
    const open = { ...DEFAULTS, printBlockedFrom: 'none', copyBlockedFrom: 'none' } as const;
    expect(
      markingPolicies(open).every((m) => m.print === 'watermarked' && m.copy === 'allowed'),
    ).toBe(true);
  });

  it('holds nothing above the ceiling, and treats a marking it does not know as above it', () => {
    const lowered = { ...DEFAULTS, classificationCeiling: 'PROTECTED' } as const;
    expect(
      markingPolicies(lowered)
        .filter((m) => m.aboveCeiling)
        .map((m) => m.marking),
    ).toEqual(['SECRET', 'TOP SECRET']);
    expect(exceedsCeiling('PROTECTED', 'PROTECTED')).toBe(false);
    expect(exceedsCeiling('COSMIC TOP SECRET', 'TOP SECRET')).toBe(true);
  });
});

describe('links in briefings', () => {
  const allowed = ['https://intranet.example.gov.au/', 'https://docs.example.gov.au/policies'];

  it('opens an https link under an allowed address, as parsed', () => {
    expect(linkDecision('https://intranet.example.gov.au/news?id=4', allowed)).toEqual({
      allowed: true,
      url: 'https://intranet.example.gov.au/news?id=4',
    });
    expect(linkDecision('https://docs.example.gov.au/policies/travel', allowed).allowed).toBe(true);
  });

  it.each([
    [
      'another host',
      'https://evil.example.com/',
      'does not allow Attaché to open links to evil.example.com',
    ],
    [
      'a path beside the allowed one',
      'https://docs.example.gov.au/policies-old',
      'links to docs.example.gov.au/policies-old',
    ],
    ['plain http', 'http://intranet.example.gov.au/', 'is not secure (http)'],
    ['a mail link', 'mailto:minister@example.gov.au', 'this one is a mailto: link'],
    ['a script', 'javascript:alert(1)', 'this one is a javascript: link'],
    [
      'credentials dressing up a host',
      'https://intranet.example.gov.au@evil.example.com/',
      'user name or password',
    ],
    ['a user and password', 'https://u:p@intranet.example.gov.au/', 'user name or password'],
    ['no address at all', 'not a link', 'not a web address'],
  ])('refuses %s, saying why in words', (_what, url, reason) => {
    const decision = linkDecision(url, allowed);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason).toContain(reason);
  });

  it('opens nothing when the organisation allowed no address', () => {
    expect(linkDecision('https://intranet.example.gov.au/', [])).toEqual({
      allowed: false,
      reason: 'Your organisation does not allow links in briefings to be opened from Attaché.',
    });
  });
});

describe('screen capture guard', () => {
  it('turns protection on when a protected briefing is served, off only when it is gone from screen', () => {
    const applied: boolean[] = [];
    const guard = createScreenCaptureGuard({
      apply: (on) => applied.push(on),
      blocks: (marking) => marking === 'SECRET',
    });
    guard.served('OFFICIAL');
    guard.shown('OFFICIAL');
    expect(applied).toEqual([]);
    guard.served('SECRET');
    expect(applied).toEqual([true]);
    guard.shown('SECRET');
    expect(applied).toEqual([true]);
    guard.shown(null);
    expect(applied).toEqual([true, false]);
    guard.shown('SECRET');
    guard.shown('OFFICIAL');
    expect(applied).toEqual([true, false, true, false]);
  });
});
