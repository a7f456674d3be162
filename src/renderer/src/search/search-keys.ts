// The keys that take the reader to the search field: Ctrl+K (Cmd+K on a Mac) from anywhere,
// and / from anywhere it would not be typed into a field, as in mail clients and browsers.

type KeyLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'> & {
  readonly target: EventTarget | null;
};

const NOT_TYPED_INTO = ['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'];

/** Whether a key pressed here would be typed as text (fields, editable content). */
function typesText(target: EventTarget | null): boolean {
  const element = target as {
    readonly tagName?: string;
    readonly type?: string;
    readonly closest?: (selector: string) => unknown;
  } | null;
  if (typeof element?.tagName !== 'string') return false;
  if (element.closest?.('[contenteditable]:not([contenteditable="false"])')) return true;
  const tag = element.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  return tag === 'input' && !NOT_TYPED_INTO.includes(element.type ?? 'text');
}

export function isSearchShortcut(event: KeyLike): boolean {
  if (event.altKey || event.shiftKey) return false;
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') return true;
  return event.key === '/' && !event.ctrlKey && !event.metaKey && !typesText(event.target);
}
