// The sandbox's /mnt/user-data: folders to open, sizes and times, refreshed every few seconds,
// a preview of text and images, download of a file or a folder (as .tar), upload into
// uploads/. Read on this machine when the folder is a host folder it holds, else through the
// cluster; the user can ask for the cluster's view (what the sandbox itself sees).
import { useCallback, useEffect, useState } from 'react';
import type { FileEntry, FolderView } from '../../../../app/desk/contract.js';
import { bytes } from '../../format.js';
import { desk } from '../../state/desk.js';
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
  const [path, setPath] = useState('');
  const [via, setVia] = useState<'host' | 'cluster' | undefined>();
  const [folder, setFolder] = useState<FolderView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [preview, setPreview] = useState<Preview | undefined>();

  const refresh = useCallback(async () => {
    try {
      setFolder(await desk().call('listFiles', { params: { id }, body: { path, ...(via ? { via } : {}) } }));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [id, path, via]);

  useEffect(() => {
    if (gone) return;
    void refresh();
    const t = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(t);
  }, [refresh, gone]);

  useEffect(() => () => revoke(preview), [preview]);

  const join = (name: string) => (path ? `${path}/${name}` : name);
  const open = async (e: FileEntry) => {
    if (e.type === 'folder') {
      setPath(join(e.name));
      setPreview(undefined);
      return;
    }
    try {
      const { blob } = await desk().download(id, join(e.name), via);
      if (IMAGE.test(e.name)) setPreview({ path: join(e.name), kind: 'image', url: URL.createObjectURL(blob) });
      else {
        const head = new Uint8Array(await blob.slice(0, PREVIEW_BYTES).arrayBuffer());
        const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
        // NUL bytes or many replacement characters: not text worth showing.
        const binary = head.includes(0) || (text.match(/\uFFFD/g)?.length ?? 0) > head.length / 20;
        setPreview(
          binary ? { path: join(e.name), kind: 'binary' } : { path: join(e.name), kind: 'text', text, cut: blob.size > PREVIEW_BYTES },
        );
      }
    } catch (err) {
      noticeError(`Opening ${join(e.name)}`, err);
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
    void refresh();
  };

  const crumbs = path ? path.split('/') : [];
  return (
    <section className="files" aria-label="Files">
      <div className="toolbar files-toolbar">
        <nav aria-label="Folder" className="crumbs mono">
          <button type="button" className="link" onClick={() => setPath('')}>
            /mnt/user-data
          </button>
          {crumbs.map((c, i) => (
            <span key={crumbs.slice(0, i + 1).join('/')}>
              {' / '}
              <button type="button" className="link" onClick={() => setPath(crumbs.slice(0, i + 1).join('/'))}>
                {c}
              </button>
            </span>
          ))}
        </nav>
        <span className="muted small" data-testid="files-via">
          {folder
            ? folder.via === 'host'
              ? 'read on this machine (the host folder)'
              : 'read through the cluster (inside the sandbox)'
            : ''}
        </span>
        <label>
          <input type="checkbox" checked={via === 'cluster'} onChange={(e) => setVia(e.target.checked ? 'cluster' : undefined)} /> As the
          sandbox sees it
        </label>
        <button type="button" onClick={() => void download(path)} disabled={gone}>
          Download folder
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
        <table className="small-table files-table" aria-label={`Files in /mnt/user-data/${path}`}>
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
            {path ? (
              <tr>
                <td colSpan={4}>
                  <button type="button" className="link" onClick={() => setPath(crumbs.slice(0, -1).join('/'))}>
                    ↑ Up
                  </button>
                </td>
              </tr>
            ) : null}
            {folder?.entries.map((e) => (
              <tr key={e.name} data-testid={`file-${e.name}`}>
                <td className="mono ellipsis" title={e.name}>
                  {e.type === 'link' ? (
                    <span title="a symbolic link (shown, not followed)">↪ {e.name}</span>
                  ) : (
                    <button type="button" className="link" onClick={() => void open(e)}>
                      {e.type === 'folder' ? <span aria-hidden="true">📁 </span> : null}
                      {e.name}
                    </button>
                  )}
                </td>
                <td className="nowrap">{e.type === 'file' ? bytes(e.size) : ''}</td>
                <td className="nowrap">{new Date(e.modified).toLocaleString()}</td>
                <td>
                  {e.type === 'file' || e.type === 'folder' ? (
                    <button type="button" onClick={() => void download(join(e.name))} aria-label={`Download ${e.name}`}>
                      Download
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
            {folder && !folder.entries.length ? (
              <tr>
                <td colSpan={4} className="muted">
                  This folder is empty.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
        {folder?.truncated ? <p className="muted">…and {folder.truncated.toLocaleString()} more (the first by name are shown).</p> : null}
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
