// The sandbox's /mnt/user-data as a tree (folders open in place), sizes and times, refreshed every few seconds,
// a preview of text and images, download of a file or a folder (as .tar), upload into
// uploads/. Read on this machine when the folder is a host folder it holds, else through the
// cluster; the user can ask for the cluster's view (what the sandbox itself sees).
import { useCallback, useEffect, useState } from 'react';
import type { FileEntry, FolderView } from '../../../../app/desk/contract.js';
import { bytes } from '../../format.js';
import { desk } from '../../state/desk.js';
import { foldersToList, treeRows } from '../../state/file-tree.js';
import { noticeError, useNotices } from '../../state/notices.js';

const REFRESH_MS = 3000;
/** Text previews show this much at most (the download has the rest). */
export const PREVIEW_BYTES = 256 * 1024;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;

type Preview =
  | { path: string; kind: 'text'; text: string; cut: boolean }
  | { path: string; kind: 'image'; url: string }
  | { path: string; kind: 'binary' };

export function FilesTab({ id, gone }: { id: string; gone: boolean }) {
  const [via, setVia] = useState<'host' | 'cluster' | undefined>();
  const [folders, setFolders] = useState<ReadonlyMap<string, FolderView>>(new Map());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | undefined>();
  const [preview, setPreview] = useState<Preview | undefined>();

  // The root and every open folder, listed again every few seconds (live).
  const refresh = useCallback(async () => {
    const paths = foldersToList(expanded);
    const listed = await Promise.allSettled(
      paths.map((path) => desk().call('listFiles', { params: { id }, body: { path, ...(via ? { via } : {}) } })),
    );
    const next = new Map<string, FolderView>();
    let problem: string | undefined;
    listed.forEach((r, i) => {
      if (r.status === 'fulfilled') next.set(paths[i] ?? '', r.value);
      else if (i === 0) problem = (r.reason as Error).message;
    });
    setFolders(next);
    setError(problem);
  }, [id, via, expanded]);

  useEffect(() => {
    if (gone) return;
    void refresh();
    const t = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(t);
  }, [refresh, gone]);

  useEffect(() => () => revoke(preview), [preview]);

  const toggle = (path: string) =>
    setExpanded((e) => {
      const next = new Set(e);
      if (next.has(path)) for (const p of [...next]) (p === path || p.startsWith(`${path}/`)) && next.delete(p);
      else next.add(path);
      return next;
    });
  const open = async (path: string, e: FileEntry) => {
    if (e.type === 'folder') return toggle(path);
    try {
      const { blob } = await desk().download(id, path, via);
      if (IMAGE.test(e.name)) setPreview({ path, kind: 'image', url: URL.createObjectURL(blob) });
      else {
        const head = new Uint8Array(await blob.slice(0, PREVIEW_BYTES).arrayBuffer());
        const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
        // NUL bytes or many replacement characters: not text worth showing.
        const binary = head.includes(0) || (text.match(/\uFFFD/g)?.length ?? 0) > head.length / 20;
        setPreview(binary ? { path, kind: 'binary' } : { path, kind: 'text', text, cut: blob.size > PREVIEW_BYTES });
      }
    } catch (err) {
      noticeError(`Opening ${path}`, err);
    }
  };
  const download = async (target: string) => {
    try {
      const { name, blob } = await desk().download(id, target, via);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (err) {
      noticeError(`Downloading ${target || '/mnt/user-data'}`, err);
    }
  };
  const upload = async (files: File[]) => {
    for (const f of files) {
      try {
        const saved = await desk().upload(id, f.name, f);
        useNotices.getState().push({ level: 'info', title: `Uploaded ${saved}` });
      } catch (err) {
        noticeError(`Uploading ${f.name}`, err);
      }
    }
    setExpanded((e) => new Set([...e, 'uploads']));
    void refresh();
  };

  const root = folders.get('');
  const rows = treeRows(folders, expanded);
  return (
    <section className="files" aria-label="Files">
      <div className="toolbar files-toolbar">
        <span className="mono crumbs">/mnt/user-data</span>
        <span className="muted small" data-testid="files-via">
          {root ? (root.via === 'host' ? 'read on this machine (the host folder)' : 'read through the cluster (inside the sandbox)') : ''}
        </span>
        <label>
          <input type="checkbox" checked={via === 'cluster'} onChange={(e) => setVia(e.target.checked ? 'cluster' : undefined)} /> As the
          sandbox sees it
        </label>
        <button type="button" onClick={() => void download('')} disabled={gone}>
          Download all
        </button>
        <label className={`button${gone ? ' disabled' : ''}`}>
          Upload to uploads/…
          <input
            type="file"
            multiple
            hidden
            disabled={gone}
            aria-label="Upload files to uploads/"
            onChange={(e) => {
              const chosen = [...(e.target.files ?? [])];
              e.target.value = ''; // so choosing the same file again is a new choice
              void upload(chosen);
            }}
          />
        </label>
      </div>
      {gone ? <p className="muted">The sandbox was deleted: its files are not read any more (its data folder stays on disk).</p> : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="files-body">
        <table className="small-table files-table" aria-label="Files in /mnt/user-data">
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
              <th>Modified</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ path, depth, entry: e, open: isOpen }) => (
              <tr key={path} data-testid={`file-${path}`}>
                <td className="mono ellipsis" title={path} style={{ paddingLeft: 8 + depth * 18 }}>
                  {e.type === 'link' ? (
                    <span title="a symbolic link (shown, not followed)">↪ {e.name}</span>
                  ) : (
                    <button
                      type="button"
                      className="link"
                      aria-expanded={e.type === 'folder' ? isOpen : undefined}
                      onClick={() => void open(path, e)}
                    >
                      {e.type === 'folder' ? <span aria-hidden="true">{isOpen ? '▾ ' : '▸ '}</span> : null}
                      {e.name}
                    </button>
                  )}
                </td>
                <td className="nowrap">{e.type === 'file' ? bytes(e.size) : ''}</td>
                <td className="nowrap">{new Date(e.modified).toLocaleString()}</td>
                <td>
                  {e.type === 'file' || e.type === 'folder' ? (
                    <button type="button" onClick={() => void download(path)} aria-label={`Download ${path}`}>
                      Download
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
            {root && !root.entries.length ? (
              <tr>
                <td colSpan={4} className="muted">
                  The folder is empty.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
        {[...folders.values()]
          .filter((f) => f.truncated)
          .map((f) => (
            <p key={f.path} className="muted">
              {f.path || '/mnt/user-data'}: {f.truncated?.toLocaleString()} more entries (the first by name are shown).
            </p>
          ))}
        {preview ? (
          <section className="card preview" aria-label={`Preview of ${preview.path}`} data-testid="file-preview">
            <h3 className="mono ellipsis" title={preview.path}>
              {preview.path}
            </h3>
            {preview.kind === 'text' ? (
              <>
                <pre className="preview-text">{preview.text}</pre>
                {preview.cut ? <p className="muted">Showing the first {bytes(PREVIEW_BYTES)}: download it for the rest.</p> : null}
              </>
            ) : preview.kind === 'image' ? (
              <img src={preview.url} alt={preview.path} className="preview-image" />
            ) : (
              <p className="muted">Not text or an image: download it to open it.</p>
            )}
          </section>
        ) : null}
      </div>
    </section>
  );
}

function revoke(p: Preview | undefined) {
  if (p?.kind === 'image') URL.revokeObjectURL(p.url);
}
