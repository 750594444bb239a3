// Create a sandbox: ids checked as typed with the same rules as the API (app/sandbox/names.ts),
// extra mounts with upstream's checks (app/sandbox/extra-mounts.ts, the core's base folder and
// claim mode), the server's field errors shown on their fields.
import { useEffect, useState } from 'react';
import type { DeskSettingsView } from '../../../app/desk/views.js';
import { ALLOWED_EXTRA_MOUNT_PATHS, checkExtraMounts, type ExtraMount, ExtraMountError } from '../../../app/sandbox/extra-mounts.js';
import { sandboxIdProblem, threadIdProblem, userIdProblem } from '../../../app/sandbox/names.js';
import { requestedResourcesProblem } from '../../../app/sandbox/resources.js';
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

/** Upstream's refusal of these mounts under the core's rules, or undefined when they pass. */
export function extraMountsProblem(mounts: ExtraMount[], rules: { base: string | undefined; pvc: boolean }): string | undefined {
  try {
    checkExtraMounts(mounts, rules.base, { pvc: rules.pvc });
    return undefined;
  } catch (e) {
    if (e instanceof ExtraMountError) return e.message;
    throw e;
  }
}

export function CreateSandboxDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [values, setValues] = useState({ sandbox_id: '', thread_id: '', user_id: '' });
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [mounts, setMounts] = useState<ExtraMount[]>([]);
  const [mountRules, setMountRules] = useState<{ base: string | undefined; pvc: boolean } | undefined>();
  const [bounds, setBounds] = useState<DeskSettingsView['resources'] | undefined>();
  const [limits, setLimits] = useState({ cpu: '', memory: '' });
  const [serverMountError, setServerMountError] = useState<string | undefined>();
  useEffect(() => {
    if (!open) return;
    desk()
      .call('getSettings')
      .then((v) => {
        setMountRules(v.extraMounts);
        setBounds(v.resources);
      })
      .catch(() => {
        setMountRules(undefined);
        setBounds(undefined);
      });
  }, [open]);
  const problems = createFormProblems(values);
  const errorOf = (f: keyof typeof values) => serverErrors[f] ?? (touched[f] || values[f] ? problems[f] : undefined);
  const mountError = serverMountError ?? (mountRules ? extraMountsProblem(mounts, mountRules) : undefined);
  const requested = { ...(limits.cpu ? { cpu: limits.cpu.trim() } : {}), ...(limits.memory ? { memory: limits.memory.trim() } : {}) };
  const limitProblem = bounds ? requestedResourcesProblem(requested, bounds) : undefined;
  const limitError = (kind: 'cpu' | 'memory') =>
    serverErrors[`resources.${kind}`] ??
    serverErrors[kind] ??
    (limitProblem?.field === `resources.${kind}` ? `${kind} limit ${limitProblem.problem}` : undefined);
  const invalid = Object.values(problems).some(Boolean) || Boolean(mountError) || Boolean(limitProblem);
  const setMount = (i: number, m: Partial<ExtraMount>) => {
    setMounts((ms) => ms.map((x, k) => (k === i ? { ...x, ...m } : x)));
    setServerMountError(undefined);
  };

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
          ...(mounts.length ? { extra_mounts: mounts } : {}),
          ...(Object.keys(requested).length ? { resources: requested } : {}),
        },
      });
      useSandboxes.getState().applyChanges([{ id: sandbox.sandbox_id, sandbox }]);
      useNotices.getState().push({ level: 'info', title: `Sandbox ${sandbox.sandbox_id} created` });
      setValues({ sandbox_id: '', thread_id: '', user_id: '' });
      setMounts([]);
      setLimits({ cpu: '', memory: '' });
      setTouched({});
      onClose();
    } catch (e) {
      // Upstream's extra-mount refusals are a 400 with the message as the detail.
      if (e instanceof DeskError && e.status === 400 && typeof e.detail === 'string') setServerMountError(e.detail);
      else if (e instanceof DeskError && Object.keys(e.fields).length) setServerErrors(e.fields);
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
        <fieldset className="limits">
          <legend>CPU and memory</legend>
          {bounds && (bounds.maxCpu || bounds.maxMemory) ? null : (
            <p className="muted" data-testid="limits-off">
              Per-sandbox limits are off: the provisioner accepts them only when SANDBOX_MAX_CPU / SANDBOX_MAX_MEMORY are set. Sandboxes get
              the defaults{bounds ? ` (${bounds.cpuLimit} CPU, ${bounds.memoryLimit})` : ''}.
            </p>
          )}
          {(['cpu', 'memory'] as const).map((kind) => {
            const limit = kind === 'cpu' ? bounds?.cpuLimit : bounds?.memoryLimit;
            const max = kind === 'cpu' ? bounds?.maxCpu : bounds?.maxMemory;
            const variable = kind === 'cpu' ? 'SANDBOX_MAX_CPU' : 'SANDBOX_MAX_MEMORY';
            return (
              <Field
                key={kind}
                id={`create-${kind}`}
                label={kind === 'cpu' ? 'CPU limit' : 'Memory limit'}
                error={limitError(kind)}
                hint={max ? `optional; default ${limit}, up to ${max} (${variable})` : `${variable} is not set`}
              >
                <input
                  id={`create-${kind}`}
                  value={limits[kind]}
                  placeholder={limit ?? ''}
                  disabled={!max}
                  autoComplete="off"
                  spellCheck={false}
                  aria-invalid={Boolean(limitError(kind))}
                  onChange={(e) => setLimits((l) => ({ ...l, [kind]: e.target.value }))}
                />
              </Field>
            );
          })}
        </fieldset>
        <fieldset className="extra-mounts">
          <legend>Extra mounts</legend>
          <p className="field-hint">
            Host folders under {mountRules?.base ?? 'the DeerFlow base folder'}
            {mountRules?.pvc ? ' (taken from the user-data claim)' : ''}, at the paths DeerFlow allows.
          </p>
          {mounts.map((m, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place
            <div className="mount-row" key={i}>
              <input
                aria-label={`Extra mount ${i + 1} host folder`}
                value={m.host_path}
                placeholder={`${mountRules?.base ?? '/.deer-flow'}/users/…`}
                spellCheck={false}
                onChange={(e) => setMount(i, { host_path: e.target.value })}
              />
              <select
                aria-label={`Extra mount ${i + 1} path in the sandbox`}
                value={m.container_path}
                onChange={(e) => setMount(i, { container_path: e.target.value })}
              >
                {ALLOWED_EXTRA_MOUNT_PATHS.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
              <label>
                <input type="checkbox" checked={Boolean(m.read_only)} onChange={(e) => setMount(i, { read_only: e.target.checked })} />{' '}
                read-only
              </label>
              <button
                type="button"
                aria-label={`Remove extra mount ${i + 1}`}
                onClick={() => setMounts((ms) => ms.filter((_, k) => k !== i))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            onClick={() => setMounts((ms) => [...ms, { host_path: '', container_path: ALLOWED_EXTRA_MOUNT_PATHS[0], read_only: true }])}
          >
            Add extra mount
          </button>
          {mountError ? (
            <p className="field-error" role="alert" id="create-extra-mounts-error">
              {mountError}
            </p>
          ) : null}
        </fieldset>
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
