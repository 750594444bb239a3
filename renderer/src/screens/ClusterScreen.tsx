// The cluster: kubeconfig contexts (current marked, switch), whether the API server answers,
// the address DeerFlow's containers would use, the local tools, the sandbox image on the
// nodes — and, when there is no cluster, creating a kind cluster for DeerFlow.
import { useEffect, useMemo, useState } from 'react';
import type { ImagePresence } from '../../../app/cluster/images.js';
import { DEFAULT_KIND_CLUSTER_NAME, DEFAULT_KIND_NODE_PORTS } from '../../../app/cluster/kind-config.js';
import { createBlocker, toolStatusText } from '../../../app/cluster/tool-status.js';
import { formatNodePortRange } from '../../../app/config/node-port-range.js';
import type { ToolsStatus } from '../../../app/desk/contract.js';
import { DeskError } from '../api/client.js';
import { ConfirmDialog, CopyButton, Field, SmallTable } from '../components/common.js';
import { FolderInput } from '../components/FolderInput.js';
import { JobPanel } from '../components/JobPanel.js';
import { reloadCluster } from '../live.js';
import { useCluster } from '../state/cluster.js';
import { clusterFormProblems } from '../state/cluster-form.js';
import { desk } from '../state/desk.js';
import { useJobs } from '../state/jobs.js';
import { noticeError } from '../state/notices.js';

export function ClusterScreen() {
  const status = useCluster((s) => s.status);
  const [switching, setSwitching] = useState<string | undefined>();
  const [tools, setTools] = useState<ToolsStatus | undefined>();
  const [image, setImage] = useState<ImagePresence | string | undefined>();
  const jobsById = useJobs((s) => s.byId);
  const jobs = useMemo(() => Object.values(jobsById).filter((j) => j.kind !== 'migration' && j.kind !== 'migration-undo'), [jobsById]);
  const [deleting, setDeleting] = useState<string | undefined>();
  const ready = status?.reachability?.state === 'ready';
  // First run: no usable cluster yet, so creating one comes first.
  const firstRun = Boolean(status?.problem) || status?.contexts.length === 0;

  useEffect(() => {
    void reloadCluster();
    desk()
      .call('tools')
      .then(setTools, () => undefined);
  }, []);
  useEffect(() => {
    if (!ready) return;
    desk()
      .call('imageStatus')
      .then(setImage, (e: Error) => setImage(e.message));
  }, [ready]);

  const use = async (name: string) => {
    setSwitching(name);
    try {
      useCluster.getState().setStatus(await desk().call('useContext', { body: { name } }));
    } catch (e) {
      noticeError(`Switching to ${name}`, e);
    } finally {
      setSwitching(undefined);
    }
  };

  const loadImage = async () => {
    try {
      useJobs.getState().upsert(await desk().call('loadImage'));
    } catch (e) {
      noticeError('Loading the sandbox image', e);
    }
  };

  const r = status?.reachability;
  return (
    <section className="screen cluster" aria-labelledby="cluster-title">
      <header className="screen-header">
        <h1 id="cluster-title">Cluster</h1>
        <button type="button" onClick={() => void reloadCluster()}>
          Refresh
        </button>
      </header>

      {status?.problem ? (
        <div className="banner banner-error" role="alert">
          <strong>No cluster in use.</strong> {status.problem}
          <p>
            Ways out: create a kind cluster for DeerFlow below, pick another context, or try the product on the simulated cluster from a
            source checkout: <span className="mono">npm run demo -- --desktop</span> (this app) or{' '}
            <span className="mono">npm run demo</span> (a browser).
          </p>
        </div>
      ) : null}
      {firstRun ? <KindCreateForm tools={tools?.tools} /> : null}

      <div className="detail-grid">
        <section className="card" aria-label="Current cluster">
          <h2>Current</h2>
          <dl>
            <dt>Context</dt>
            <dd className="mono" data-testid="current-context">
              {status?.current ?? '—'}
            </dd>
            <dt>API server</dt>
            <dd className="mono">{status?.contexts.find((c) => c.current)?.server ?? '—'}</dd>
            <dt>Reachable</dt>
            <dd data-testid="reachability" data-state={r?.state ?? 'unknown'}>
              {r ? (
                r.state === 'ready' ? (
                  `yes — Kubernetes ${r.version}`
                ) : (
                  <span className="field-error">{`${r.state}: ${r.message}`}</span>
                )
              ) : (
                '—'
              )}
            </dd>
            <dt>Nodes</dt>
            <dd>{status?.nodeCount ?? '—'}</dd>
            <dt>Namespace</dt>
            <dd className="mono">{status?.namespace ?? '—'}</dd>
            <dt>For containers</dt>
            <dd className="mono">
              {status?.containerApiServer ? (
                <>
                  K8S_API_SERVER={status.containerApiServer} <CopyButton text={status.containerApiServer} label="Copy K8S_API_SERVER" />
                </>
              ) : (
                '—'
              )}
            </dd>
            <dt>Kubeconfig</dt>
            <dd className="mono">{status?.kubeconfig || '—'}</dd>
          </dl>
        </section>

        <section className="card" aria-label="Sandbox image">
          <h2>Sandbox image</h2>
          {typeof image === 'string' ? (
            <p className="field-error">{image}</p>
          ) : image ? (
            <p data-testid="image-presence">
              <span className="mono">{image.image}</span>:{' '}
              {image.nodesWithImage.length
                ? `on ${image.nodesWithImage.length} of ${image.nodeCount} node(s)`
                : `on none of ${image.nodeCount} node(s) — Pods will wait for it to be pulled`}
            </p>
          ) : (
            <p className="muted">Connect to a cluster to check.</p>
          )}
          <button type="button" onClick={() => void loadImage()} disabled={!ready}>
            Load sandbox image
          </button>
        </section>
      </div>

      <section className="card" aria-label="Contexts">
        <h2>Contexts</h2>
        <SmallTable columns={['Name', 'Kind', 'Server', '']}>
          {(status?.contexts ?? []).map((c) => (
            <tr key={c.name} data-testid={`context-${c.name}`} className={c.current ? 'current' : ''}>
              <td className="mono">
                {c.current ? '● ' : ''}
                {c.name}
              </td>
              <td>{c.kind}</td>
              <td className="mono">{c.server}</td>
              <td>
                {c.current ? (
                  <span className="muted">in use</span>
                ) : (
                  <button type="button" disabled={switching !== undefined} onClick={() => void use(c.name)}>
                    {switching === c.name ? 'Switching…' : 'Use'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </SmallTable>
      </section>

      <section className="card" aria-label="Local tools">
        <h2>Local tools</h2>
        <ul className="plain">
          {(tools?.tools ?? []).map((t) => (
            <li key={t.tool}>
              <strong>{t.tool}</strong>: {toolStatusText(t)}
            </li>
          ))}
          {tools?.kindClusters ? (
            <li>
              kind clusters: {tools.kindClusters.length ? null : 'none'}
              {tools.kindClusters.map((name) => (
                <span key={name} className="chip">
                  <span className="mono">{name}</span>{' '}
                  <button type="button" className="danger" onClick={() => setDeleting(name)} aria-label={`Delete kind cluster ${name}`}>
                    Delete
                  </button>
                </span>
              ))}
            </li>
          ) : null}
        </ul>
      </section>

      <ExportKubeconfigForm disabled={!status?.current} />
      <ConfirmDialog
        open={deleting !== undefined}
        title="Delete kind cluster"
        danger
        confirmLabel="Delete cluster"
        message={<p>Delete kind cluster {deleting} and everything in it (all its sandboxes)? Your data folders on this machine stay.</p>}
        onConfirm={() => {
          const name = deleting ?? '';
          setDeleting(undefined);
          desk()
            .call('deleteKindCluster', { body: { name } })
            .then(
              (j) => useJobs.getState().upsert(j),
              (e) => noticeError(`Deleting ${name}`, e),
            );
        }}
        onCancel={() => setDeleting(undefined)}
      />

      {firstRun ? null : <KindCreateForm tools={tools?.tools} />}
      {jobs.map((j) => (
        <JobPanel key={j.id} job={j} />
      ))}
    </section>
  );
}

function ExportKubeconfigForm({ disabled }: { disabled: boolean }) {
  const [path, setPath] = useState('');
  const [replace, setReplace] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<{ path: string; apiServer: string } | undefined>();
  const submit = async () => {
    setError(undefined);
    setDone(undefined);
    try {
      setDone(await desk().call('exportContainerKubeconfig', { body: { path, replace } }));
    } catch (e) {
      setError(e instanceof DeskError && Object.keys(e.fields).length ? Object.values(e.fields).join('; ') : (e as Error).message);
    }
  };
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Kubeconfig for DeerFlow's containers</h2>
      <p className="muted">
        The current context with its loopback API server rewritten to host.docker.internal (TLS still verified) and credentials inlined. It
        is written to a file (mode 600); it is never shown here.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field id="export-path" label="Write to (absolute path)" error={error}>
          <input
            id="export-path"
            value={path}
            placeholder="/home/me/deer-flow/kubeconfig-containers"
            onChange={(e) => setPath(e.target.value)}
          />
        </Field>
        <label>
          <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace an existing file
        </label>{' '}
        <button type="submit" disabled={disabled || !path}>
          Export
        </button>
      </form>
      {done ? (
        <p role="status">
          Wrote <span className="mono">{done.path}</span>; use <span className="mono">K8S_API_SERVER={done.apiServer}</span>
        </p>
      ) : null}
    </section>
  );
}

/**
 * Create a cluster for DeerFlow: kind (mounts + published NodePorts) or minikube (mount + node IP).
 * `tools`: what the local CLIs said when the screen opened: a missing tool (or kind's docker not
 * running) disables Create, with the reason beside it; fields are checked as typed, all at once.
 * before the button (which stays usable: Docker may have been started since).
 */
function KindCreateForm({ tools }: { tools: ToolsStatus['tools'] | undefined }) {
  const [tool, setTool] = useState<'kind' | 'minikube'>('kind');
  // The core's defaults, not copies of them.
  const [values, setValues] = useState({
    name: DEFAULT_KIND_CLUSTER_NAME,
    dataDir: '',
    skillsDir: '',
    nodePorts: formatNodePortRange(DEFAULT_KIND_NODE_PORTS),
  });
  const [serverErrors, setErrors] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const set = (k: keyof typeof values, v: string) => {
    setTouched(true);
    setValues((s) => ({ ...s, [k]: v }));
  };
  const blocker = createBlocker(tools, tool);
  const typed = clusterFormProblems(values, tool);
  const errors = { ...(touched ? typed : {}), ...serverErrors };
  const submit = async () => {
    setTouched(true);
    if (Object.keys(typed).length || blocker) return;
    setErrors({});
    const common = { name: values.name, dataDir: values.dataDir, ...(values.skillsDir ? { skillsDir: values.skillsDir } : {}) };
    try {
      const job =
        tool === 'kind'
          ? await desk().call('createKindCluster', { body: { ...common, nodePorts: values.nodePorts } })
          : await desk().call('createMinikubeCluster', { body: common });
      useJobs.getState().upsert(job);
    } catch (e) {
      if (e instanceof DeskError && Object.keys(e.fields).length) setErrors(e.fields);
      else noticeError(`Creating the ${tool} cluster`, e);
    }
  };
  return (
    <section className="card" aria-labelledby="kind-title">
      <h2 id="kind-title">Create a kind cluster for DeerFlow</h2>
      <p className="muted">
        Mounts the data folder into the node at the same path (so sandboxes see your files); kind also publishes a NodePort range on this
        machine, minikube's node IP becomes the URLs' host. The provisioner settings are applied when it is ready.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <fieldset className="radios">
          <legend>Tool</legend>
          <label>
            <input type="radio" name="cluster-tool" checked={tool === 'kind'} onChange={() => setTool('kind')} /> kind
          </label>
          <label>
            <input type="radio" name="cluster-tool" checked={tool === 'minikube'} onChange={() => setTool('minikube')} /> minikube
          </label>
        </fieldset>
        <Field id="kind-name" label={tool === 'kind' ? 'Cluster name' : 'Profile'} error={errors.name}>
          <input id="kind-name" value={values.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field
          id="kind-dataDir"
          label="DeerFlow data folder"
          error={errors.dataDir}
          hint="absolute path, e.g. /home/me/deer-flow/backend/.deer-flow"
        >
          <FolderInput
            id="kind-dataDir"
            value={values.dataDir}
            placeholder="/path/to/deer-flow/backend/.deer-flow"
            onChange={(v) => set('dataDir', v)}
          />
        </Field>
        <Field id="kind-skillsDir" label="Skills folder (if elsewhere)" error={errors.skillsDir}>
          <FolderInput id="kind-skillsDir" value={values.skillsDir} placeholder="optional" onChange={(v) => set('skillsDir', v)} />
        </Field>
        {tool === 'kind' ? (
          <Field id="kind-nodePorts" label="NodePort range" error={errors.nodePorts}>
            <input id="kind-nodePorts" value={values.nodePorts} onChange={(e) => set('nodePorts', e.target.value)} />
          </Field>
        ) : null}
        <div className="actions">
          <button type="submit" className="primary" disabled={Boolean(blocker)} aria-describedby={blocker ? 'create-blocker' : undefined}>
            {tool === 'kind' ? 'Create kind cluster' : 'Start minikube'}
          </button>
          {blocker ? (
            <span className="field-error" id="create-blocker" data-testid="docker-problem">
              {blocker}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
