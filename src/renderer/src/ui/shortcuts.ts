// The briefing list's keyboard: the one table that BriefingList obeys and that the About
// dialog and the empty reader describe, so what is shown cannot drift from what works.

export type ListMove = 'next' | 'previous' | 'first' | 'last' | 'page-down' | 'page-up';

/** KeyboardEvent.key values per move; letters are matched whatever the case (Caps Lock). */
export const LIST_KEYS: { readonly [M in ListMove]: readonly string[] } = {
  next: ['ArrowDown', 'j'],
  previous: ['ArrowUp', 'k'],
  first: ['Home'],
  last: ['End'],
  'page-down': ['PageDown'],
  'page-up': ['PageUp'],
};

const LABELS: Readonly<Record<string, string>> = {
  ArrowDown: '↓',
  ArrowUp: '↑',
  PageDown: 'Page Down',
  PageUp: 'Page Up',
};

/** The move a key press asks for, or null if the list does not handle that key. */
export function listMoveFor(key: string): ListMove | null {
  const normalised = key.length === 1 ? key.toLowerCase() : key;
  for (const [move, keys] of Object.entries(LIST_KEYS) as [ListMove, readonly string[]][]) {
    if (keys.includes(normalised)) return move;
  }
  return null;
}

/** How a key is printed on a keycap: arrows as arrows, letters in capitals. */
export function keyLabel(key: string): string {
  return LABELS[key] ?? (key.length === 1 ? key.toUpperCase() : key);
}

/** The keycaps for a move, in the order of LIST_KEYS ("↓", "J" for next). */
export function listKeyLabels(move: ListMove): readonly string[] {
  return LIST_KEYS[move].map(keyLabel);
}
