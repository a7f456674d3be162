// The highlight colours of the annotations panel: radio buttons named for screen readers, each
// with its swatch.
import type { HighlightColour } from '../../../shared/annotations/limits.js';
import { HIGHLIGHT_COLOURS } from '../../../shared/annotations/limits.js';
import { COLOUR_NAMES } from './placement.js';

type Props = {
  readonly name: string;
  readonly colour: HighlightColour;
  readonly onColour: (colour: HighlightColour) => void;
};

export function ColourPicker({ name, colour, onColour }: Props) {
  return (
    <fieldset className="annotations__colours">
      <legend>Highlight colour</legend>
      {HIGHLIGHT_COLOURS.map((value) => (
        <label key={value} className="annotations__colour">
          <input
            type="radio"
            name={name}
            value={value}
            checked={colour === value}
            onChange={() => onColour(value)}
          />
          <span className={`annotations__swatch annotation-mark--${value}`} aria-hidden="true" />
          {COLOUR_NAMES[value]}
        </label>
      ))}
    </fieldset>
  );
}
