// Settings: the provisioner's configuration (the same variable names and validation as the
// server), saved for the next start; and the provisioner API on port 8002 for DeerFlow's
// containers, started and stopped from here.
import { useEffect, useState } from 'react';
import type { DeskSettings, ProvisionerApiState } from '../../../app/desk/contract.js';
import type { DeskSettingsView } from '../../../app/desk/views.js';
import { DeskError } from '../api/client.js';
import { Field } from '../components/common.js';
import { desk } from '../state/desk.js';
import { noticeError, useNotices } from '../state/notices.js';

const FIELDS: { name: Exclude<keyof DeskSettings, 'PROVISIONER_API_KEY'>; label: string; hint: string }[] = [
  { name: 'K8S_NAMESPACE', label: 'Namespace', hint: 'where sandboxes are made' },
  { name: 'SANDBOX_IMAGE', label: 'Sandbox image', hint: 'the all-in-one sandbox image' },
  { name: 'SANDBOX_SERVICE_TYPE', label: 'Service type', hint: 'NodePort or ClusterIP' },
  { name: 'NODE_HOST', label: 'Node host', hint: 'host in sandbox URLs (host.docker.internal)' },
  { name: 'SANDBOX_NODE_PORT_RANGE', label: 'NodePort range', hint: 'e.g. 30000-30049 (kind: the published ports)' },
  { name: 'DEER_FLOW_HOST_BASE_DIR', label: 'DeerFlow base folder', hint: 'on the node: skills_view/ and extra mounts (/.deer-flow)' },
  { name: 'THREADS_HOST_PATH', label: 'Threads host path', hint: 'absolute path on the node' },
  { name: 'SKILLS_HOST_PATH', label: 'Skills host path (seed era)', hint: 'one skills folder; only without a base folder' },
  { name: 'SKILLS_PVC_NAME', label: 'Skills PVC', hint: 'instead of the host path' },
  { name: 'USERDATA_PVC_NAME', label: 'User-data PVC', hint: 'instead of the host path' },
  { name: 'LARK_CLI_INIT_IMAGE', label: 'Lark CLI init image', hint: 'Lark Pattern A (optional)' },
  { name: 'LARK_CLI_BROKER_IMAGE', label: 'Lark CLI broker image', hint: 'Lark Pattern B (optional)' },
  { name: 'DEERFLOW_LARK_BROKER_DENY_SUBCOMMANDS', label: 'Lark broker denied subcommands', hint: 'passed to the broker' },
  { name: 'PROVISIONER_PORT', label: 'Provisioner API port', hint: 'where DeerFlow reaches the API' },
  { name: 'SANDBOX_IDLE_SECONDS', label: 'Remove when unused for (seconds)', hint: 'empty: never (e.g. 3600)' },
  { name: 'SANDBOX_TTL_SECONDS', label: 'Remove when older than (seconds)', hint: 'empty: never (e.g. 86400)' },
  { name: 'SANDBOX_EGRESS', label: 'Egress', hint: 'open (default), isolated (DNS only) or allowlist' },
  { name: 'SANDBOX_EGRESS_ALLOW', label: 'Egress allowlist', hint: 'with allowlist: CIDRs and ports, e.g. 10.0.0.0/8,203.0.113.7/32:443' },
];

const SOURCE_WORDS = { saved: 'saved here', environment: 'from the environment the app started with', default: 'the default' } as const;

/** "in use: deer-flow (the default)", "in use: 30000-30049 (saved here)", "not set". */
export function inUseText(view: DeskSettingsView | undefined, name: (typeof FIELDS)[number]['name']): string {
  const u = view?.inUse[name];
  if (!u) return '';
  if (u.value === undefined) return 'not set';
  return `in use: ${u.value} (${SOURCE_WORDS[u.source]})`;
}

export function SettingsScreen() {
  const [view, setView] = useState<DeskSettingsView | undefined>();
  const [values, setValues] = useState<Record<string, string>>({});
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [api, setApi] = useState<ProvisionerApiState | undefined>();
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    desk()
      .call('getSettings')
      .then(
        (v) => {
          setView(v);
          setValues(v.settings as Record<string, string>);
        },
        (e: Error) => noticeError('Reading settings', e),
      );
    desk()
      .call('provisionerApi')
      .then(setApi, () => undefined);
  }, []);

  const save = async () => {
    setSaving(true);
    setErrors({});
    const body: DeskSettings = {};
    for (const f of FIELDS) if (values[f.name]?.trim()) body[f.name] = values[f.name]?.trim();
    if (apiKey) body.PROVISIONER_API_KEY = apiKey;
    try {
      const v = await desk().call('saveSettings', { body });
      setView(v);
      setApiKey('');
      useNotices.getState().push({ level: 'info', title: 'Settings saved and applied' });
      setApi(await desk().call('provisionerApi'));
    } catch (e) {
      if (e instanceof DeskError && Object.keys(e.fields).length) setErrors(e.fields);
      else noticeError('Saving settings', e);
    } finally {
      setSaving(false);
    }
  };

  const toggleApi = async () => {
    try {
      setApi(await desk().call('setProvisionerApi', { body: { running: !api?.running } }));
    } catch (e) {
      noticeError('Provisioner API', e);
    }
  };

  return (
    <section className="screen settings" aria-labelledby="settings-title">
      <header className="screen-header">
        <h1 id="settings-title">Settings</h1>
      </header>
      <section className="card" aria-label="Provisioner API">
        <h2>Provisioner API for DeerFlow</h2>
        <p data-testid="provisioner-api-state">
          {api?.running ? (
            <>
              Running at <span className="mono">{api.url}</span>
            </>
          ) : (
            'Stopped'
          )}
          {api?.error ? <span className="field-error"> — {api.error}</span> : null}
        </p>
        <button type="button" onClick={() => void toggleApi()}>
          {api?.running ? 'Stop' : 'Start'}
        </button>
      </section>
      <section className="card" aria-label="Provisioner configuration">
        <h2>Provisioner configuration</h2>
        <p className="muted">
          Saved in <span className="mono">{view?.file}</span>. Each field says the value in use and where it comes from: saved here, the
          environment the app started with, or the provisioner's default.
        </p>
        <form
          className="settings-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {FIELDS.map((f) => (
            <Field
              key={f.name}
              id={`setting-${f.name}`}
              label={`${f.label} (${f.name})`}
              error={errors[f.name]}
              hint={`${f.hint} · ${inUseText(view, f.name)}`}
            >
              <input
                id={`setting-${f.name}`}
                data-source={view?.inUse[f.name]?.source}
                placeholder={view?.inUse[f.name]?.source === 'default' ? (view.inUse[f.name]?.value ?? '') : ''}
                value={values[f.name] ?? ''}
                spellCheck={false}
                aria-invalid={Boolean(errors[f.name])}
                onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
              />
            </Field>
          ))}
          <Field
            id="setting-PROVISIONER_API_KEY"
            label="API key (PROVISIONER_API_KEY)"
            error={errors.PROVISIONER_API_KEY}
            hint={view?.apiKeySet ? 'a key is set; type a new one to replace it' : 'none set: the API answers only on 127.0.0.1'}
          >
            <input
              id="setting-PROVISIONER_API_KEY"
              type="password"
              autoComplete="new-password"
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </Field>
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save and apply'}
          </button>
        </form>
      </section>
    </section>
  );
}
