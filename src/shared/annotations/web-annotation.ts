// The W3C Web Annotation data model (https://www.w3.org/TR/annotation-model/) of a folded
// annotation: what the SOR receives. The briefing (and version, attachment, page) is the
// target's source; the quote is a TextQuoteSelector and the position a TextPositionSelector
// refining nothing (the quote is the truth, the position a hint). Notes are plain text.
import type { Annotation } from './fold.js';

export type TextQuoteSelector = {
  readonly type: 'TextQuoteSelector';
  readonly exact: string;
  readonly prefix: string;
  readonly suffix: string;
};
export type TextPositionSelector = {
  readonly type: 'TextPositionSelector';
  readonly start: number;
  readonly end: number;
};
export type FragmentSelector = {
  readonly type: 'FragmentSelector';
  /** RFC 8118 (PDF fragment identifiers): `page=N`. */
  readonly conformsTo: 'http://tools.ietf.org/rfc/rfc8118';
  readonly value: string;
};

export type WebAnnotation = {
  readonly '@context': 'http://www.w3.org/ns/anno.jsonld';
  readonly id: string;
  readonly type: 'Annotation';
  readonly motivation: 'highlighting' | 'commenting';
  readonly creator: string;
  readonly created: string;
  readonly modified: string;
  readonly body?: {
    readonly type: 'TextualBody';
    readonly value: string;
    readonly format: 'text/plain';
    readonly purpose: 'commenting';
  };
  readonly target: {
    readonly source: string;
    /** Attaché's extension: the briefing version the selectors were taken from. */
    readonly sourceVersion: number;
    readonly attachment?: string;
    readonly selector?: readonly (TextQuoteSelector | TextPositionSelector | FragmentSelector)[];
  };
  /** Attaché's extension: the highlight's colour name. */
  readonly colour?: string;
};

export function toWebAnnotation(annotation: Annotation): WebAnnotation {
  const { target } = annotation;
  const selector: (TextQuoteSelector | TextPositionSelector | FragmentSelector)[] = [];
  if (target.page !== null) {
    selector.push({
      type: 'FragmentSelector',
      conformsTo: 'http://tools.ietf.org/rfc/rfc8118',
      value: `page=${target.page}`,
    });
  }
  if (target.quote) selector.push({ type: 'TextQuoteSelector', ...target.quote });
  if (target.position) selector.push({ type: 'TextPositionSelector', ...target.position });
  return {
    '@context': 'http://www.w3.org/ns/anno.jsonld',
    id: `urn:uuid:${annotation.id}`,
    type: 'Annotation',
    motivation: annotation.note === '' ? 'highlighting' : 'commenting',
    creator: annotation.author,
    created: annotation.createdAt,
    modified: annotation.updatedAt,
    ...(annotation.note === ''
      ? {}
      : {
          body: {
            type: 'TextualBody',
            value: annotation.note,
            format: 'text/plain',
            purpose: 'commenting',
          },
        }),
    target: {
      source: target.sorId,
      sourceVersion: target.sourceVersion,
      ...(target.attachment === null ? {} : { attachment: target.attachment }),
      ...(selector.length > 0 ? { selector } : {}),
    },
    ...(annotation.colour === null ? {} : { colour: annotation.colour }),
  };
}
