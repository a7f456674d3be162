import { Fragment } from 'react';

/** Keycaps in a row: "or" between alternatives for one action, "/" between a pair of actions. */
export function Keycaps({
  caps,
  joiner,
}: {
  readonly caps: readonly string[];
  readonly joiner: 'or' | '/';
}) {
  return caps.map((cap, index) => (
    <Fragment key={cap}>
      {index > 0 ? (joiner === 'or' ? ' or ' : ' / ') : null}
      <kbd>{cap}</kbd>
    </Fragment>
  ));
}
