// Applies the organisation's policy for the marking of the briefing on screen, as far as a page
// can: copying its text is refused (copy and cut events, and no selection), printing is refused
// or carries the watermark and banners on every page (print stylesheet keyed on <html
// data-print>), and main is told what is shown so that the desktop app can keep the window out
// of screenshots. What only the desktop app enforces is listed in docs/security.md.
import { useEffect, useState, type RefObject } from 'react';
import type { MarkingPolicy } from '../../../shared/settings.js';
import { useApi } from '../api/api-context.js';

export type PolicyNotice = 'copy-blocked' | 'print-blocked' | null;

export function useMarkingPolicyOnScreen(
  briefingId: string,
  policy: MarkingPolicy,
  documentRef: RefObject<HTMLElement | null>,
): { readonly notice: PolicyNotice; readonly dismiss: () => void } {
  const api = useApi();
  const [notice, setNotice] = useState<PolicyNotice>(null);

  useEffect(() => {
    void api.reportShown({ id: briefingId });
    return () => void api.reportShown({ id: null });
  }, [api, briefingId]);

  useEffect(() => {
    const root = document.documentElement;
    root.dataset.print = policy.print;
    const onBeforePrint = () => {
      if (policy.print === 'blocked') setNotice('print-blocked');
    };
    window.addEventListener('beforeprint', onBeforePrint);
    return () => {
      window.removeEventListener('beforeprint', onBeforePrint);
      delete root.dataset.print;
    };
  }, [policy.print]);

  useEffect(() => {
    if (policy.copy !== 'blocked') return;
    // A selection that reaches into the briefing, from wherever it started, is not copied.
    const onCopy = (event: ClipboardEvent) => {
      const selection = document.getSelection();
      const element = documentRef.current;
      if (!element || !selection || selection.rangeCount === 0) return;
      if (!selection.getRangeAt(0).intersectsNode(element)) return;
      event.preventDefault();
      event.clipboardData?.setData('text/plain', '');
      setNotice('copy-blocked');
    };
    document.addEventListener('copy', onCopy, true);
    document.addEventListener('cut', onCopy, true);
    return () => {
      document.removeEventListener('copy', onCopy, true);
      document.removeEventListener('cut', onCopy, true);
    };
  }, [policy.copy, documentRef]);

  return { notice, dismiss: () => setNotice(null) };
}
