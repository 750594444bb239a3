// Small building blocks used across screens.
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { SandboxStatus } from '../../../app/sandbox/model.js';
import { useNotices } from '../state/notices.js';

export function StatusPill({ status }: { status: SandboxStatus }) {
  return (
    <span className={`pill pill-${status.toLowerCase()}`} data-status={status}>
      {status}
    </span>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={label}
      title={label}
      onClick={(e) => {
        e.stopPropagation();
        void navigator.clipboard?.writeText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
          },
          () => useNotices.getState().push({ level: 'error', title: 'Could not copy', detail: 'The clipboard is not available here' }),
        );
      }}
    >
      {copied ? (
        '✓'
      ) : (
        <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
          <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
          <path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
      )}
    </button>
  );
}

/** A modal <dialog>: focus moves into it, Escape closes it, the page behind is inert. */
export function Modal({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="modal" aria-label={title} onClose={onClose} onCancel={onClose}>
      <h2>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Modal open={props.open} title={props.title} onClose={props.onCancel}>
      <div className="modal-body">{props.message}</div>
      <div className="modal-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" className={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

export function Field(props: { label: string; error?: string | undefined; hint?: string; children: ReactNode; id: string }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.error ? (
        <div className="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </div>
      ) : props.hint ? (
        <div className="field-hint">{props.hint}</div>
      ) : null}
    </div>
  );
}

export function Notices() {
  const { notices, dismiss } = useNotices();
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} role={n.level === 'error' ? 'alert' : 'status'}>
          <strong>{n.title}</strong>
          {n.detail ? (
            <details>
              <summary>Details</summary>
              <pre>{n.detail}</pre>
            </details>
          ) : null}
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

export function Progress({ done, total }: { done: number; total: number }) {
  return (
    <div className="progress">
      <progress max={total || 1} value={done} />
      <span>
        {done} / {total}
      </span>
    </div>
  );
}

/** A small table: its column headings once, its rows as children (<tr> elements). */
export function SmallTable({ columns, className, children }: { columns: string[]; className?: string; children: ReactNode }) {
  return (
    <table className={className ? `small-table ${className}` : 'small-table'}>
      <thead>
        <tr>
          {columns.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: headings are fixed; some are blank
            <th key={i}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
