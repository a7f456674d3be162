// Above a briefing opened from a search: what its marks are. A legend, since they must not be
// taken for the reader's own highlights (styles/search.css draws them unlike those); a status,
// so a screen reader says how many there are when the briefing opens. The article names it
// (aria-describedby="briefing-matches").
export function SearchLegend({ count }: { readonly count: number }) {
  if (count === 0) return null;
  return (
    <p id="briefing-matches" className="search-legend" role="status" data-testid="search-legend">
      <span className="search-legend__sample" aria-hidden="true">
        Search match
      </span>
      <span>
        {count} {count === 1 ? 'match' : 'matches'} of your search {count === 1 ? 'is' : 'are'}{' '}
        marked like this. Escape in the search field clears them.
      </span>
    </p>
  );
}
