import { describe, expect, it } from 'vitest';
import { initials } from '../../../src/renderer/src/ui/initials.js';

describe('avatar initials', () => {
  it.each([
    ['Alex Morgan', 'AM'],
    ['Lt Col Sarah Nguyen', 'LN'],
    ['Priya', 'P'],
    ['  hannah   liu ', 'HL'],
    ['Zoë Ólafsdóttir', 'ZÓ'],
    ['<O’Brien> <script>', 'OS'],
    ['"Dr." (Jo) Bloggs!', 'DB'],
    ['<O', 'O'],
    ['— 42 —', '?'],
    ['', '?'],
  ])('of %j are %j: letters only', (name, expected) => {
    expect(initials(name)).toBe(expected);
  });
});
