// Sample briefings for the demo SOR (Australian Government ministerial-briefing flavour; all
// names, figures and events are fictional). Seeded once, into an empty store, shared with the
// sample user; a few also go to two colleagues so that several users have data.
//
// The briefings themselves are data (seed-briefings.json): edited as text, checked against the
// schema below when the server starts, so a mistake there names the briefing and the field.
import { z } from 'zod';
import { SAMPLE_USER } from '../../../../src/shared/protocol.js';
import { CLASSIFICATIONS, PRIORITIES } from '../../../../src/shared/briefing.js';
import type { AttachmentInput, DemoSor } from './demo-sor.sqlite.js';
import { renderBarChartPng, renderBriefingPdf } from './seed-attachments.js';
import seedData from './seed-briefings.json' with { type: 'json' };

export const SAMPLE_COLLEAGUES = [
  { id: 'sam.taylor', displayName: 'Sam Taylor' },
  { id: 'jordan.lee', displayName: 'Jordan Lee' },
] as const;

const nonEmpty = z.string().min(1);
const seedSchema = z
  .object({
    title: nonEmpty,
    summary: nonEmpty,
    classification: z.enum(CLASSIFICATIONS),
    priority: z.enum(PRIORITIES),
    sender: z.object({ name: nonEmpty, role: nonEmpty }).strict(),
    /** How long before seeding the briefing was written: days and hour of that day (local). */
    ago: z.tuple([z.int().min(0), z.int().min(0).max(23)]),
    purpose: nonEmpty,
    background: z.array(nonEmpty),
    keyPoints: z.array(nonEmpty),
    table: z
      .object({ caption: nonEmpty, headers: z.array(nonEmpty), rows: z.array(z.array(z.string())) })
      .strict()
      .optional(),
    recommendations: z.array(nonEmpty),
    /** Attach a PDF built from these sections. */
    pdf: z
      .object({
        file: nonEmpty,
        subtitle: nonEmpty,
        sections: z.array(z.object({ heading: nonEmpty, paragraphs: z.array(nonEmpty) }).strict()),
      })
      .strict()
      .optional(),
    /** Attach a PNG bar chart. */
    chart: z
      .object({
        file: nonEmpty,
        title: nonEmpty,
        unit: nonEmpty,
        labels: z.array(nonEmpty),
        values: z.array(z.number()),
      })
      .strict()
      .optional(),
    alsoFor: z
      .array(
        nonEmpty.refine(
          (id) => SAMPLE_COLLEAGUES.some((c) => c.id === id),
          'not a sample colleague',
        ),
      )
      .optional(),
  })
  .strict();

type Seed = z.infer<typeof seedSchema>;

/** The sample briefings, checked: a broken data file stops the demo with what is wrong. */
export function parseSeeds(data: unknown): readonly Seed[] {
  const result = z.array(seedSchema).min(1).safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new Error(`seed-briefings.json is invalid:\n  - ${problems.join('\n  - ')}`);
}

const SEEDS = parseSeeds(seedData);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderBody(seed: Seed): string {
  const parts = [
    `<h2>Purpose</h2>`,
    `<p>${escapeHtml(seed.purpose)}</p>`,
    `<h2>Background</h2>`,
    ...seed.background.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<h2>Key points</h2>`,
    `<ul>${seed.keyPoints.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`,
  ];
  if (seed.table) {
    const t = seed.table;
    parts.push(
      `<table><caption>${escapeHtml(t.caption)}</caption>`,
      `<thead><tr>${t.headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
      `<tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
    );
  }
  parts.push(
    `<h2>Recommendations</h2>`,
    `<ol>${seed.recommendations.map((r) => `<li><strong>${escapeHtml(r)}</strong></li>`).join('')}</ol>`,
    `<p><em>Contact: ${escapeHtml(seed.sender.name)}, ${escapeHtml(seed.sender.role)}</em></p>`,
  );
  return parts.join('\n');
}

export const SEED_BRIEFING_COUNT = SEEDS.length;

/** The newest sample briefing was approved this long before seeding: it has just come in. */
const NEWEST_BEFORE_SEEDING_MS = 15 * 60_000;
/** How far apart today's briefings are moved back when their hour has not come yet. */
const MOVED_BACK_STEP_MS = 40 * 60_000;

/**
 * When each seed (given oldest first) was written: `ago` days before `now`, at its hour. Early in
 * the day some of today's hours have not come yet. Those briefings move back before `now`, one
 * step apart, newest first: moved to one time, several would read "4:21 AM" in the list, in no
 * particular order, and they must not slip behind the briefings written before them either.
 */
function withWrittenTimes(seeds: readonly Seed[], now: Date): { seed: Seed; written: Date }[] {
  const newest = now.getTime() - NEWEST_BEFORE_SEEDING_MS;
  let latest = newest - (newest % 60_000); // whole minutes, like the others
  const timed: { seed: Seed; written: Date }[] = [];
  for (const seed of [...seeds].reverse()) {
    const written = new Date(now);
    written.setDate(written.getDate() - seed.ago[0]);
    written.setHours(seed.ago[1], (seed.title.length * 7) % 60, 0, 0);
    if (written.getTime() > latest) written.setTime(latest);
    timed.unshift({ seed, written });
    latest = written.getTime() - MOVED_BACK_STEP_MS;
  }
  return timed;
}

/** Fills an empty demo SOR with the sample briefings; a no-op when it already has documents. */
export async function seedDemoSor(sor: DemoSor, now: Date = new Date()): Promise<number> {
  if (sor.documentCount() > 0) return 0;
  sor.addUser(SAMPLE_USER.id, SAMPLE_USER.displayName);
  for (const colleague of SAMPLE_COLLEAGUES) sor.addUser(colleague.id, colleague.displayName);
  // Oldest first, so that SOR ids follow the order in which the briefings were written.
  const ordered = [...SEEDS].sort((a, b) => b.ago[0] - a.ago[0] || a.ago[1] - b.ago[1]);
  for (const { seed, written } of withWrittenTimes(ordered, now)) {
    const attachments: AttachmentInput[] = [];
    if (seed.pdf) {
      const data = await renderBriefingPdf(
        {
          title: seed.title,
          classification: seed.classification,
          subtitle: seed.pdf.subtitle,
          sections: seed.pdf.sections,
        },
        written,
      );
      attachments.push({ name: seed.pdf.file, contentType: 'application/pdf', data });
    }
    if (seed.chart) {
      attachments.push({
        name: seed.chart.file,
        contentType: 'image/png',
        data: await renderBarChartPng(seed.chart),
      });
    }
    sor.create({
      content: {
        title: seed.title,
        summary: seed.summary,
        bodyHtml: renderBody(seed),
        classification: seed.classification,
        priority: seed.priority,
        sender: seed.sender,
        createdAt: written.toISOString(),
        updatedAt: written.toISOString(),
      },
      attachments,
      recipients: [SAMPLE_USER.id, ...(seed.alsoFor ?? [])],
      approvedAt: written.toISOString(),
    });
  }
  return SEEDS.length;
}
