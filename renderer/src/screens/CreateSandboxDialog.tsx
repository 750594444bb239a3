// Create a sandbox: ids checked as typed with the same rules as the API (app/sandbox/names.ts),
// the server's 422 field errors shown on their fields.
import { useState } from 'react';
import { sandboxIdProblem, threadIdProblem, userIdProblem } from '../../../app/sandbox/names.js';
import { DeskError } from '../api/client.js';
import { Field, Modal } from '../components/common.js';
import { desk } from '../state/desk.js';
import { useNotices } from '../state/notices.js';
import { useSandboxes } from '../state/sandboxes.js';

export function createFormProblems(v: { sandbox_id: string; thread_id: string; user_id: string }): Record<string, string | undefined> {
  return {
    sandbox_id: v.sandbox_id === '' ? 'sandbox id is required' : prefix('sandbox id', sandboxIdProblem(v.sandbox_id)),
    thread_id: v.thread_id === '' ? undefined : prefix('thread id', threadIdProblem(v.thread_id)),
    user_id: v.user_id === '' ? undefined : prefix('user id', userIdProblem(v.user_id)),
  };
}

const prefix = (what: string, problem: string | undefined) => (problem ? `${what} ${problem}` : undefined);

export function CreateSandboxDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [values, setValues] = useState({ sandbox_id: '', thread_id: '', user_id: '' });
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const problems = createFormProblems(values);
  const errorOf = (f: keyof typeof values) => serverErrors[f] ?? (touched[f] || values[f] ? problems[f] : undefined);
  const invalid = Object.values(problems).some(Boolean);

  const set = (f: keyof typeof values, v: string) => {
    setValues((s) => ({ ...s, [f]: v }));
    setTouched((t) => ({ ...t, [f]: true }));
    setServerErrors((e) => ({ ...e, [f]: undefined as unknown as string }));
  };

  const submit = async () => {
    setTouched({ sandbox_id: true, thread_id: true, user_id: true });
    if (invalid) return;
    setBusy(true);
    try {
      const sandbox = await desk().call('createSandbox', {
        body: {
          sandbox_id: values.sandbox_id,
          thread_id: values.thread_id || null,
          ...(values.user_id ? { user_id: values.user_id } : {}),
        },
      });
      useSandboxes.getState().applyChanges([{ id: sandbox.sandbox_id, sandbox }]);
      useNotices.getState().push({ level: 'info', title: `Sandbox ${sandbox.sandbox_id} created` });
      setValues({ sandbox_id: '', thread_id: '', user_id: '' });
      setTouched({});
      onClose();
    } catch (e) {
      if (e instanceof DeskError && Object.keys(e.fields).length) setServerErrors(e.fields);
      else useNotices.getState().push({ level: 'error', title: 'Create sandbox failed', detail: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const input = (f: keyof typeof values, placeholder: string) => (
    <input
      id={`create-${f}`}
      name={f}
      value={values[f]}
      placeholder={placeholder}
      autoComplete="off"
      spellCheck={false}
      aria-invalid={Boolean(errorOf(f))}
      aria-describedby={errorOf(f) ? `create-${f}-error` : undefined}
      onChange={(e) => set(f, e.target.value)}
    />
  );

  return (
    <Modal open={open} title="Create sandbox" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field id="create-sandbox_id" label="Sandbox id" error={errorOf('sandbox_id')} hint="lower-case letters, digits and -">
          {input('sandbox_id', 'e.g. my-sandbox')}
        </Field>
        <Field id="create-thread_id" label="Thread id" error={errorOf('thread_id')} hint="optional; defaults to the sandbox id">
          {input('thread_id', 'optional')}
        </Field>
        <Field id="create-user_id" label="User id" error={errorOf('user_id')} hint='optional; defaults to "default"'>
          {input('user_id', 'optional')}
        </Field>
        <div className="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || invalid}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
