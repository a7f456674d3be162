// What the results' live region says, in a sentence.

/** The sentence the live region reads: how many match, and whether more are coming. */
export function countWording(total: number, pending: number, capped = false): string {
  let found: string;
  if (capped) found = `More than ${total.toLocaleString()} briefings match`;
  else if (total === 0) found = 'No briefings match';
  else found = `${total.toLocaleString()} ${total === 1 ? 'briefing matches' : 'briefings match'}`;
  return pending > 0 ? `${found} so far; ${pending.toLocaleString()} still being indexed` : found;
}
