// The signed-in person in the header; opens a small panel with Sign out (confirmed in a dialog:
// it erases the device's copy). A disclosure (button + panel) rather than an ARIA menu: one
// action does not need menu keyboard semantics.
import { useEffect, useId, useRef, useState } from 'react';
import { ChevronDown, LogOut } from 'lucide-react';
import { initials } from '../ui/initials.js';
import { SignOutDialog } from './SignOutDialog.js';
import type { SignOutAnswer } from './use-sign-in.js';

export function UserMenu({
  user,
  loading,
  onSignOut,
}: {
  readonly user: { readonly id: string; readonly displayName: string } | null;
  readonly loading: boolean;
  readonly onSignOut: (discardUnsent: boolean) => Promise<SignOutAnswer>;
}) {
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      toggle.current?.focus();
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (!user) {
    return (
      <div className="user-chip" data-testid="signed-in-user" data-user-id="">
        <span className="user-chip__name user-chip__name--none">
          {loading ? 'Loading…' : 'Not signed in'}
        </span>
      </div>
    );
  }

  return (
    <div className="user-menu" ref={root}>
      <button
        ref={toggle}
        type="button"
        className="user-chip user-chip--button"
        data-testid="signed-in-user"
        data-user-id={user.id}
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
      >
        <span className="avatar avatar--small" aria-hidden="true">
          {initials(user.displayName)}
        </span>
        <span className="user-chip__name">
          <span className="visually-hidden">Signed in as </span>
          {user.displayName}
        </span>
        <ChevronDown aria-hidden="true" size={14} className="user-chip__chevron" />
      </button>
      <div id={panelId} className="user-menu__panel" hidden={!open}>
        <p className="user-menu__who">
          <span className="user-menu__name">{user.displayName}</span>
          <span className="user-menu__id">{user.id}</span>
        </p>
        <button
          type="button"
          className="user-menu__item"
          aria-haspopup="dialog"
          onClick={() => {
            setOpen(false);
            setConfirming(true);
          }}
        >
          <LogOut aria-hidden="true" size={16} />
          Sign out…
        </button>
      </div>
      <SignOutDialog
        open={confirming}
        onClose={() => {
          setConfirming(false);
          toggle.current?.focus();
        }}
        signOut={onSignOut}
      />
    </div>
  );
}
