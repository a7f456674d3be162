import { useEffect, useState } from 'react';
import type { AttachmentContent } from '../../../shared/ipc.js';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import { useApi } from '../api/api-context.js';

export type AttachmentState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready'; readonly content: AttachmentContent }
  | { readonly phase: 'missing' }
  | { readonly phase: 'error'; readonly error: AppErrorInfo };

/** One attachment's content, fetched from the device when a component first needs it. */
export function useAttachment(briefingId: string, name: string): AttachmentState {
  const api = useApi();
  const [state, setState] = useState<AttachmentState>({ phase: 'loading' });
  useEffect(() => {
    let live = true;
    setState({ phase: 'loading' });
    void api.getAttachment({ id: briefingId, name }).then((result) => {
      if (!live) return;
      if (!result.ok) setState({ phase: 'error', error: result.error });
      else if (result.value === null) setState({ phase: 'missing' });
      else setState({ phase: 'ready', content: result.value });
    });
    return () => {
      live = false;
    };
  }, [api, briefingId, name]);
  return state;
}
