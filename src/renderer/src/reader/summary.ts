// Whether the reader shows a briefing's summary above its body. When the SOR sends no summary,
// the fan-out derives one from the start of the body (for the list's preview); shown above that
// same body, it would say everything twice. The same goes for a summary that an author pasted
// from the first paragraph.

/** Letters and digits only: block boundaries, spacing and punctuation do not make a difference. */
function comparable(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s\p{P}\p{S}]+/gu, '')
    .toLowerCase();
}

/**
 * True when the summary adds something: it is not empty, and the body does not begin with it
 * (a derived summary ends in "…" where it was cut; that is ignored like other punctuation).
 */
export function summaryAddsToBody(summary: string, bodyText: string): boolean {
  const wanted = comparable(summary);
  return wanted !== '' && !comparable(bodyText).startsWith(wanted);
}
