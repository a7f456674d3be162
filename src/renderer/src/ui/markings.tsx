import type { CSSProperties } from 'react';
import { TriangleExclamationPoint, ChevronsUp } from 'lucide-react';
import type { Priority } from '../../../shared/briefing.js';
import { classificationStyle } from './classification.js';

/** The classification marking as a compact coloured badge (list items, headers). */
export function MarkingBadge({ marking }: { readonly marking: string }) {
  return (
    <span
      className="marking-badge"
      data-classification={marking}
      style={classificationStyle(marking) as CSSProperties}
    >
      {marking}
    </span>
  );
}

/** Urgent and priority briefings carry a marker; routine ones carry none. */
export function PriorityTag({ priority }: { readonly priority: Priority }) {
  if (priority === 'routine') return null;
  const Icon = priority === 'urgent' ? TriangleExclamationPoint : ChevronsUp;
  return (
    <span className="priority-tag" data-priority={priority}>
      <Icon aria-hidden="true" size={13} strokeWidth={2.5} />
      {priority === 'urgent' ? 'Urgent' : 'Priority'}
    </span>
  );
}

/**
 * The full-width marking bar at the top and bottom of anything that shows briefing content.
 * Only the top one is read out; the bottom one repeats it for the eye.
 */
export function ClassificationBanner({
  marking,
  position,
}: {
  readonly marking: string;
  readonly position: 'top' | 'bottom';
}) {
  return (
    <div
      className={`classification-banner classification-banner--${position}`}
      data-classification={marking}
      data-testid={`classification-banner-${position}`}
      style={classificationStyle(marking) as CSSProperties}
      aria-hidden={position === 'bottom' ? true : undefined}
    >
      <span className="visually-hidden">Classification: </span>
      {marking}
    </div>
  );
}
