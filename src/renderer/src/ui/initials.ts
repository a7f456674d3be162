// Initials for an avatar: the first letter of the first and last names, letters only, so that a
// name full of punctuation or markup ("<O'Brien>") shows "OB", never "<O". Pure.

/** Letters of any script; marks that belong to a letter (accents) stay with it. */
const LETTER = /\p{L}/u;

export function initials(name: string): string {
  const words = name
    .split(/\s+/)
    .map((word) => [...word].filter((char) => LETTER.test(char)).join(''))
    .filter((word) => word.length > 0);
  const first = [...(words[0] ?? '')][0] ?? '';
  const last = words.length > 1 ? ([...(words[words.length - 1] ?? '')][0] ?? '') : '';
  return (first + last).toLocaleUpperCase() || '?';
}
