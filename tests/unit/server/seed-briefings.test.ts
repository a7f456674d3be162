// The demo SOR's sample briefings are dated relative to when they are seeded. Whatever the hour,
// each has a time of its own, none in the future, in the order the samples were written.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import {
  SEED_BRIEFING_COUNT,
  parseSeeds,
  seedDemoSor,
} from '../../../server/src/demo/sor/seed-briefings.js';

const sors: DemoSor[] = [];
afterEach(() => {
  for (const sor of sors.splice(0)) sor.close();
});

/** Seeds an in-memory SOR at `now`; the approval times in SOR id (written) order. */
async function seededAt(now: Date): Promise<Date[]> {
  const sor = createDemoSor({ file: ':memory:', now: () => now });
  sors.push(sor);
  expect(await seedDemoSor(sor, now)).toBe(SEED_BRIEFING_COUNT);
  const briefings = sor.list();
  expect(briefings.map((b) => b.sorId)).toEqual(briefings.map((b) => b.sorId).sort());
  return briefings.map((b) => new Date(b.approvedAt));
}

const at = (hours: number, minutes: number) => new Date(2026, 10, 23, hours, minutes, 27, 512);
const MINUTE = 60_000;
const clock = (d: Date) =>
  `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

describe('seeded briefing times', () => {
  it.each([
    ['just after midnight', at(0, 5)],
    ['early in the morning', at(4, 36)],
    ['between two of the day’s briefings', at(6, 50)],
    ['soon after one of the day’s briefings', at(8, 12)],
    ['late in the evening', at(23, 59)],
  ])('are distinct, in the past and in written order when seeding %s', async (_, now) => {
    const times = await seededAt(now);
    expect(times).toHaveLength(SEED_BRIEFING_COUNT);
    for (let i = 1; i < times.length; i += 1) {
      // Strictly later than the one before: no two share a time, newest-first is well defined.
      expect(times[i]!.getTime(), `briefing ${i + 1} of ${times.length}`).toBeGreaterThan(
        times[i - 1]!.getTime(),
      );
    }
    const newest = times.at(-1)!;
    expect(now.getTime() - newest.getTime()).toBeGreaterThanOrEqual(15 * MINUTE);
    expect(times.every((t) => t.getSeconds() === 0 && t.getMilliseconds() === 0)).toBe(true);
  });

  it('early in the morning, spreads today’s briefings back from a quarter of an hour ago', async () => {
    const times = await seededAt(at(4, 36));
    expect(times.slice(-3).map(clock)).toEqual(['03:01', '03:41', '04:21']);
    expect(times.at(-4)!.getDate()).toBe(22);
  });

  it('later in the day, keeps each briefing at its own hour', async () => {
    const times = await seededAt(at(18, 0));
    const today = times.filter((t) => t.getDate() === 23);
    expect(today.map((t) => t.getHours())).toEqual([6, 8, 12]);
  });
});

describe('seeded briefings', () => {
  it('attach what their text says is attached', async () => {
    const now = at(18, 0);
    const sor = createDemoSor({ file: ':memory:', now: () => now });
    sors.push(sor);
    await seedDemoSor(sor, now);
    const promising = sor
      .list()
      .map((b) => sor.get(b.sorId))
      .map((doc) => ({
        title: String((doc?.content as { title?: unknown }).title),
        body: String((doc?.content as { bodyHtml?: unknown }).bodyHtml),
        attachments: doc?.attachments ?? [],
      }))
      .filter((doc) => /\battached\b/i.test(doc.body));
    expect(promising.map((doc) => doc.title)).toContain(
      'Question Time brief: cost-of-living measures',
    );
    for (const doc of promising) expect(doc.attachments.length, doc.title).toBeGreaterThan(0);
  });
});

describe('the sample briefings data file', () => {
  it('refuses a briefing with an unknown classification, naming the briefing and the field', () => {
    const [first] = JSON.parse(
      fs.readFileSync('server/src/demo/sor/seed-briefings.json', 'utf8'),
    ) as Record<string, unknown>[];
    expect(() => parseSeeds([{ ...first, classification: 'TOP SECRET-ISH' }])).toThrow(
      /seed-briefings\.json is invalid:\n {2}- 0\.classification: /,
    );
    expect(() => parseSeeds([{ ...first, alsoFor: ['someone.else'] }])).toThrow(
      /0\.alsoFor\.0: not a sample colleague/,
    );
    expect(parseSeeds([first])).toHaveLength(1);
  });
});
