// The open briefing's annotations: listed from the device, refetched when the device says the
// briefing changed (a save here, or events from another device), saved through the contract.
import { useCallback, useEffect, useState } from 'react';
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { AnnotationChange } from '../../../shared/annotations/requests.js';
import type { Result } from '../../../shared/result.js';
import { useApi } from '../api/api-context.js';

export function useAnnotations(briefingId: string): {
  readonly annotations: readonly Annotation[] | null;
  readonly save: (change: AnnotationChange) => Promise<Result<Annotation>>;
} {
  const api = useApi();
  const [annotations, setAnnotations] = useState<readonly Annotation[] | null>(null);

  useEffect(() => {
    let live = true;
    const load = async () => {
      const result = await api.listAnnotations({ briefingId });
      // A failed list keeps what is shown: the marks are still on the device.
      if (live && result.ok) setAnnotations(result.value);
    };
    void load();
    const unsubscribe = api.onBriefingsChanged(({ ids }) => {
      if (ids.length === 0 || ids.includes(briefingId)) void load();
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api, briefingId]);

  const save = useCallback(
    async (change: AnnotationChange) => {
      const result = await api.saveAnnotation(change);
      if (result.ok) {
        const listed = await api.listAnnotations({ briefingId });
        if (listed.ok) setAnnotations(listed.value);
      }
      return result;
    },
    [api, briefingId],
  );

  return { annotations, save };
}
