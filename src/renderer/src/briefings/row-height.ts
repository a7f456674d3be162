// A briefing row's height before it has been rendered and measured. Rows are as tall as their
// content (a title of one or two lines, a summary of none, one or two), so the estimate guesses
// the line counts from the text; the list measures each row once rendered and corrects it. A
// good guess keeps the scrollbar steady; a bad one costs nothing but a small correction.
//
// The numbers mirror list.css (.briefing-item); they are rem, like the stylesheet's.
const PADDING_Y = 0.75;
const GAP = 0.3125;
const TOP_LINE = 1.25;
const TITLE_LINE = 1.3125;
const SUMMARY_LINE = 1.15625;
const BOTTOM_LINE = 1;
const BORDER = 0.0625;

/** Characters per line at the list's usual width (26rem less padding, 15px and 13px text). */
const TITLE_CHARS_PER_LINE = 42;
const SUMMARY_CHARS_PER_LINE = 54;

function lines(text: string, perLine: number, max: number): number {
  const length = text.trim().length;
  return length === 0 ? 0 : Math.min(max, Math.ceil(length / perLine));
}

export function estimateBriefingRowRem(title: string, summary: string): number {
  const titleLines = Math.max(1, lines(title, TITLE_CHARS_PER_LINE, 2));
  const summaryLines = lines(summary, SUMMARY_CHARS_PER_LINE, 2);
  const blocks = summaryLines > 0 ? 4 : 3;
  return (
    2 * PADDING_Y +
    TOP_LINE +
    titleLines * TITLE_LINE +
    summaryLines * SUMMARY_LINE +
    BOTTOM_LINE +
    (blocks - 1) * GAP +
    BORDER
  );
}
