import type { Locator } from '@playwright/test';

/** Selects the first occurrence of `phrase` in the text under `root`, as a person dragging would. */
export async function selectText(root: Locator, phrase: string): Promise<void> {
  await root.evaluate((element, wanted) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = (node as Text).data.indexOf(wanted);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      return;
    }
    throw new Error(`"${wanted}" is not there`);
  }, phrase);
}
