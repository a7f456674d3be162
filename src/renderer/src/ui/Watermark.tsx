import { useMemo } from 'react';

const LINES = 14;
const REPEATS = 5;

/**
 * The reader's name and the time, faint and diagonal across briefing content, so that a photo
 * or screenshot of the screen says who was reading it and when. Not selectable, not read out,
 * never in the way of the pointer.
 */
export function Watermark({ text }: { readonly text: string }) {
  const lines = useMemo(
    () =>
      Array.from({ length: LINES }, (_, line) => ({
        line,
        words: Array.from({ length: REPEATS }, () => text),
      })),
    [text],
  );
  return (
    <div
      className="watermark"
      aria-hidden="true"
      data-testid="watermark"
      data-watermark-text={text}
    >
      <div className="watermark__field">
        {lines.map(({ line, words }) => (
          <div className="watermark__line" key={line}>
            {words.map((word, i) => (
              <span key={i}>{word}</span>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
