// A sandbox's own files (issue #13 item 3): its /mnt/user-data (workspace, uploads, outputs),
// listed, downloaded and uploaded into. Two ways to reach them, one interface:
//   host     the folder the Pod mounts (hostPath), read directly on this machine; used when that
//            folder lies under DEER_FLOW_HOST_BASE_DIR and exists here (kind and minikube
//            clusters made by this app mount the data folder at the same path);
//   cluster  through the sandbox container itself (exec), for claims (PVC mode) and whenever
//            the host cannot see the folder.
// Nothing outside the sandbox's folder is reachable: paths are relative, without `.`/`..`
// segments, and where they resolve (symbolic links included) is checked against the folder,
// on the host with realpath and in the container with readlink -f.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent, existsSync } from 'node:fs';
import { link, lstat, mkdir, readdir, realpath, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { create as createTar } from 'tar';
import { AppError } from '../errors.js';
import { execInPod } from '../kube/exec.js';
import type { FileEntry, FolderView } from './contract.js';

/** Entries listed per folder at most (the first by name; the rest counted). */
export const MAX_LISTED = 2000;
export const UPLOADS_FOLDER = 'uploads';

/** A refused path or name (invalid), a missing one (not-found), an existing upload target (conflict). */
export class FilesError extends AppError {}

/**
 * A path under /mnt/user-data as its segments, or why it is refused. Never decoded: `%2e%2e` is
 * a file of that name. Refused: absolute paths, `.` and `..` segments, empty segments, NUL and
 * other control characters, backslashes (a Windows separator in disguise).
 */
export function sandboxPathSegments(path: string): { segments: string[] } | { problem: string } {
  if (path === '' || path === '/') return { segments: [] };
  if (path.startsWith('/')) return { problem: `"${path}" is absolute: give a path relative to /mnt/user-data, e.g. workspace/out.txt` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(path))
    return { problem: `${JSON.stringify(path)} holds a control character or a backslash: not a path here` };
  const segments = path.replace(/\/$/, '').split('/');
  for (const s of segments) {
    if (s === '') return { problem: `"${path}" has an empty segment (//): write each folder once` };
    if (s === '.' || s === '..') return { problem: `"${path}" has a "${s}" segment: only paths inside /mnt/user-data are allowed` };
  }
  return { segments };
}

/** A name for an upload: one segment, no hidden `.`-prefix tricks beyond a plain file name. */
export function uploadNameProblem(name: string): string | undefined {
  if (!name) return 'the file has no name';
  if (name.length > 255) return 'the file name is longer than 255 characters';
  const r = sandboxPathSegments(name);
  if ('problem' in r) return r.problem;
  if (r.segments.length !== 1) return `"${name}" is a path: an upload is one file, saved as uploads/<name>`;
  return undefined;
}

function segmentsOrThrow(path: string): string[] {
  const r = sandboxPathSegments(path);
  if ('problem' in r) throw new FilesError('invalid', r.problem);
  return r.segments;
}

/** What a download is said to be, by its name's ending (the page previews images by it). */
const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
};
export function contentTypeOf(name: string): string {
  return TYPES[/\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream';
}

export interface Download {
  /** The file's name, or the folder's with `.tar`. */
  name: string;
  contentType: string;
  /** Known for files on the host. */
  size: number | undefined;
  stream: Readable;
}

/** One interface, two ways (host, cluster); the desk service picks one per sandbox. */
export interface SandboxFiles {
  readonly via: FolderView['via'];
  list(path: string): Promise<FolderView>;
  download(path: string): Promise<Download>;
  /** Saves `body` as uploads/<name>; never replaces a file (409). Returns the saved path. */
  upload(name: string, body: Readable): Promise<string>;
}

const typeOf = (d: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileEntry['type'] =>
  d.isSymbolicLink() ? 'link' : d.isDirectory() ? 'folder' : d.isFile() ? 'file' : 'other';

export class HostFiles implements SandboxFiles {
  readonly via = 'host' as const;
  constructor(private readonly root: string) {}

  /** The real path of `path` under the root, refused if it resolves outside (links included). */
  private async resolve(path: string): Promise<string> {
    const segments = segmentsOrThrow(path);
    const root = await realpath(this.root);
    let real: string;
    try {
      real = await realpath(join(root, ...segments));
    } catch {
      throw new FilesError('not-found', `${path || '/mnt/user-data'} does not exist in the sandbox`);
    }
    const rel = relative(root, real);
    if (rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep))
      throw new FilesError('invalid', `${path} leads outside the sandbox's folder (a symbolic link): not shown`);
    return real;
  }

  async list(path: string): Promise<FolderView> {
    const dir = await this.resolve(path);
    let names: Dirent[];
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw new FilesError('invalid', `${path} is a file, not a folder`);
      throw e;
    }
    names.sort((a, b) => a.name.localeCompare(b.name));
    const shown = names.slice(0, MAX_LISTED);
    const entries = await Promise.all(
      shown.map(async (d): Promise<FileEntry | undefined> => {
        const st = await lstat(join(dir, d.name)).catch(() => undefined);
        return st ? { name: d.name, type: typeOf(st), size: st.size, modified: st.mtime.toISOString() } : undefined;
      }),
    );
    return {
      path: segmentsOrThrow(path).join('/'),
      entries: entries.filter((e): e is FileEntry => Boolean(e)),
      via: this.via,
      truncated: names.length > MAX_LISTED ? names.length - MAX_LISTED : undefined,
    };
  }

  async download(path: string): Promise<Download> {
    const real = await this.resolve(path);
    const st = await lstat(real);
    const base = segmentsOrThrow(path).at(-1) ?? 'user-data';
    if (st.isDirectory()) {
      // Under its own name, so it unpacks into one folder; links inside are stored as links
      // (never followed), so the archive holds only this folder.
      const stream = createTar({ cwd: dirname(real), portable: true, follow: false }, [basename(real)]) as unknown as Readable;
      return { name: `${base}.tar`, contentType: 'application/x-tar', size: undefined, stream };
    }
    if (!st.isFile()) throw new FilesError('invalid', `${path} is not a file or a folder`);
    return { name: base, contentType: contentTypeOf(base), size: st.size, stream: createReadStream(real) };
  }

  async upload(name: string, body: Readable): Promise<string> {
    const problem = uploadNameProblem(name);
    if (problem) throw new FilesError('invalid', problem);
    const root = await realpath(this.root);
    const uploads = join(root, UPLOADS_FOLDER);
    await mkdir(uploads, { recursive: true });
    const real = await realpath(uploads);
    if (relative(root, real).startsWith('..')) throw new FilesError('invalid', 'uploads/ leads outside the sandbox folder: nothing saved');
    const target = join(real, name);
    if (existsSync(target))
      throw new FilesError('conflict', `uploads/${name} exists already: rename the file, or remove the old one first`);
    // Written aside, then linked into place: link() never replaces, so a file that appeared
    // meanwhile is kept and this upload is refused instead.
    const temp = join(real, `.${name}.upload-${randomBytes(4).toString('hex')}`);
    try {
      await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o644 }));
      await link(temp, target).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'EEXIST'
          ? new FilesError('conflict', `uploads/${name} exists already: rename the file, or remove the old one first`)
          : e;
      });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    return `${UPLOADS_FOLDER}/${name}`;
  }
}

/**
 * The shell side of ClusterFiles: POSIX sh and the stat/readlink/tar/cat/head of any image
 * (busybox included). `$1` is the path; every script first checks where it resolves.
 */
const INSIDE = 'r=$(readlink -f -- "$1") || exit 4; case "$r" in "$ROOT"|"$ROOT"/*) ;; *) echo outside >&2; exit 5;; esac';
const LIST = `${INSIDE}; [ -e "$r" ] || exit 4; [ -d "$r" ] || { echo notdir >&2; exit 6; }; cd -- "$r" || exit 4; for f in .* *; do case "$f" in .|..) continue;; esac; [ -e "$f" ] || [ -L "$f" ] || continue; if [ -L "$f" ]; then t=link; elif [ -d "$f" ]; then t=folder; elif [ -f "$f" ]; then t=file; else t=other; fi; printf '%s %s\\t%s\\n' "$t" "$(stat -c '%s %Y' -- "$f")" "$f"; done`;
const KIND = `${INSIDE}; [ -e "$r" ] || exit 4; if [ -d "$r" ]; then echo folder; elif [ -f "$r" ]; then echo file; else echo other; fi`;

export class ClusterFiles implements SandboxFiles {
  readonly via = 'cluster' as const;
  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly root = '/mnt/user-data',
  ) {}

  private async sh(script: string, path: string, opts: { stdin?: Buffer } = {}) {
    const full = join(this.root, ...segmentsOrThrow(path)).replaceAll(sep, '/');
    const r = await execInPod(this.kc, this.namespace, this.pod, ['sh', '-c', `ROOT='${this.root}'; ${script}`, 'sh', full], {
      container: 'sandbox',
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
    });
    if (r.exitCode === 4) throw new FilesError('not-found', `${path || '/mnt/user-data'} does not exist in the sandbox`);
    if (r.exitCode === 5) throw new FilesError('invalid', `${path} leads outside the sandbox's folder (a symbolic link): not shown`);
    if (r.exitCode === 6) throw new FilesError('invalid', `${path} is a file, not a folder`);
    if (r.exitCode !== 0)
      throw new Error(`reading ${path || '/mnt/user-data'} in the sandbox failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  async list(path: string): Promise<FolderView> {
    const out = await this.sh(LIST, path);
    const all = out
      .split('\n')
      .filter(Boolean)
      .map((line): FileEntry | undefined => {
        const m = /^(file|folder|link|other) (\d+) (\d+)\t(.*)$/.exec(line);
        return m
          ? {
              name: m[4] as string,
              type: m[1] as FileEntry['type'],
              size: Number(m[2]),
              modified: new Date(Number(m[3]) * 1000).toISOString(),
            }
          : undefined;
      })
      .filter((e): e is FileEntry => Boolean(e))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      path: segmentsOrThrow(path).join('/'),
      entries: all.slice(0, MAX_LISTED),
      via: this.via,
      truncated: all.length > MAX_LISTED ? all.length - MAX_LISTED : undefined,
    };
  }

  async download(path: string): Promise<Download> {
    const kind = (await this.sh(KIND, path)).trim();
    const base = segmentsOrThrow(path).at(-1) ?? 'user-data';
    const folder = kind === 'folder';
    if (!folder && kind !== 'file') throw new FilesError('invalid', `${path} is not a file or a folder`);
    // The whole answer is read before it is sent (exec collects it): bounded by the exec's own
    // limits; sandboxes' outputs are documents and images, not disk images.
    const out = await execInPod(
      this.kc,
      this.namespace,
      this.pod,
      [
        'sh',
        '-c',
        folder ? 'cd -- "$1/.." && tar -cf - -- "$(basename -- "$1")"' : 'cat -- "$1"',
        'sh',
        join(this.root, ...segmentsOrThrow(path)),
      ],
      { container: 'sandbox', binary: true },
    );
    if (out.exitCode !== 0) throw new Error(`reading ${path} in the sandbox failed (exit ${out.exitCode}): ${out.stderr.trim()}`);
    const stream = new PassThrough();
    stream.end(out.stdoutBytes);
    return {
      name: folder ? `${base}.tar` : base,
      contentType: folder ? 'application/x-tar' : contentTypeOf(base),
      size: out.stdoutBytes?.length,
      stream,
    };
  }

  async upload(name: string, body: Readable): Promise<string> {
    const problem = uploadNameProblem(name);
    if (problem) throw new FilesError('invalid', problem);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Buffer));
    const bytes = Buffer.concat(chunks);
    // set -C: the shell's no-clobber, so an existing file is never replaced; head -c reads a
    // known length (kwok never closes a command's stdin; see app/kube/exec.ts).
    const script = `mkdir -p -- "$ROOT/${UPLOADS_FOLDER}" && ${INSIDE.replace('"$1"', `"$ROOT/${UPLOADS_FOLDER}"`)} && t="$r/$2" && if [ -e "$t" ] || [ -L "$t" ]; then exit 7; fi && set -C && head -c ${bytes.length} > "$t"`;
    const r = await execInPod(this.kc, this.namespace, this.pod, ['sh', '-c', `ROOT='${this.root}'; ${script}`, 'sh', '', name], {
      container: 'sandbox',
      stdin: bytes,
    });
    if (r.exitCode === 7) throw new FilesError('conflict', `uploads/${name} exists already: rename the file, or remove the old one first`);
    if (r.exitCode === 5) throw new FilesError('invalid', 'uploads/ leads outside the sandbox folder: nothing saved');
    if (r.exitCode !== 0) throw new Error(`saving uploads/${name} in the sandbox failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    return `${UPLOADS_FOLDER}/${name}`;
  }
}
