// What the results' live region says, in a sentence.

/** The sentence the live region reads: how many match, and whether more are coming. */
export function countWording(total: number, pending: number): string {
  const found =
    total === 0
      ? 'No briefings match'
      : `${total.toLocaleString()} ${total === 1 ? 'briefing matches' : 'briefings match'}`;
  return pending > 0 ? `${found} so far; ${pending.toLocaleString()} still being indexed` : found;
}
