// A sandbox's own files (issue #13 item 3): its /mnt/user-data (workspace, uploads, outputs),
// listed, downloaded and uploaded into. Two ways to reach them, one interface:
//   host     the folder the Pod mounts (hostPath), read directly on this machine; used when that
//            folder lies under THREADS_HOST_PATH or DEER_FLOW_HOST_BASE_DIR and exists here (kind
//            and minikube clusters made by this app mount the data folder at the same path);
//   cluster  through the sandbox container itself (exec), for claims (PVC mode) and whenever
//            the host cannot see the folder.
// Nothing outside the sandbox's folder is reachable: paths are relative, without `.`/`..`
// segments, and where they resolve (symbolic links included) is checked against the folder,
// on the host with realpath and in the container with readlink -f.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent, existsSync } from 'node:fs';
import { link, lstat, mkdir, readdir, realpath, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
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

/** A name for an upload: one plain path segment (it is saved as uploads/<name>). */
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

/** `real` is `root` or under it (both real paths: links resolved). */
function inside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
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
    if (!inside(root, real)) throw new FilesError('invalid', `${path} leads outside the sandbox's folder (a symbolic link): not used`);
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
    if (!inside(root, real)) throw new FilesError('invalid', "uploads/ leads outside the sandbox's folder (a symbolic link): not used");
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
 * (busybox included). `$1` is the sandbox's folder, `$2` the path; every script first checks
 * where the path resolves. Exit statuses name what was wrong (FAILURES below).
 */
const INSIDE = 'r=$(readlink -f -- "$2") || exit 4; case "$r" in "$1"|"$1"/*) ;; *) exit 5;; esac; [ -e "$r" ] || exit 4';
const LIST = `${INSIDE}; [ -d "$r" ] || exit 6; cd -- "$r" || exit 4; for f in .* *; do case "$f" in .|..) continue;; esac; [ -e "$f" ] || [ -L "$f" ] || continue; if [ -L "$f" ]; then t=link; elif [ -d "$f" ]; then t=folder; elif [ -f "$f" ]; then t=file; else t=other; fi; printf '%s %s\\t%s\\n' "$t" "$(stat -c '%s %Y' -- "$f")" "$f"; done`;
/** One exec for a download: its kind on the first line, then the bytes (a folder as a tar). */
const DOWNLOAD = `${INSIDE}; if [ -d "$r" ]; then echo folder; cd -- "$r/.." && tar -cf - -- "$(basename -- "$r")"; elif [ -f "$r" ]; then echo file; cat -- "$r"; else exit 8; fi`;
/** `$2` is the uploads folder, `$3` the name; set -C (no-clobber) never replaces a file. */
const uploadScript = (bytes: number) =>
  `mkdir -p -- "$2" && ${INSIDE} && t="$r/$3" && if [ -e "$t" ] || [ -L "$t" ]; then exit 7; fi && set -C && head -c ${bytes} > "$t"`;

const FAILURES: Record<number, (path: string) => FilesError> = {
  4: (path) => new FilesError('not-found', `${path || '/mnt/user-data'} does not exist in the sandbox`),
  5: (path) => new FilesError('invalid', `${path || 'uploads/'} leads outside the sandbox's folder (a symbolic link): not used`),
  6: (path) => new FilesError('invalid', `${path} is a file, not a folder`),
  7: (path) => new FilesError('conflict', `${path} exists already: rename the file, or remove the old one first`),
  8: (path) => new FilesError('invalid', `${path} is not a file or a folder`),
};

export class ClusterFiles implements SandboxFiles {
  readonly via = 'cluster' as const;
  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly root = '/mnt/user-data',
  ) {}

  private inRoot(path: string): string {
    return [this.root, ...segmentsOrThrow(path)].join('/');
  }

  /** Runs a script with the folder and a path as its arguments; a known failure becomes its error. */
  private async run(what: string, script: string, path: string, opts: { args?: string[]; stdin?: Buffer; binary?: boolean } = {}) {
    const r = await execInPod(
      this.kc,
      this.namespace,
      this.pod,
      ['sh', '-c', script, 'sh', this.root, this.inRoot(path), ...(opts.args ?? [])],
      {
        container: 'sandbox',
        ...(opts.stdin ? { stdin: opts.stdin } : {}),
        ...(opts.binary ? { binary: true } : {}),
      },
    );
    const failure = FAILURES[r.exitCode];
    if (failure) throw failure(what);
    if (r.exitCode !== 0) throw new Error(`${what || '/mnt/user-data'} in the sandbox: exit ${r.exitCode}: ${r.stderr.trim()}`);
    return r;
  }

  async list(path: string): Promise<FolderView> {
    const out = (await this.run(path, LIST, path)).stdout;
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
    // The whole answer is read before it is sent (exec collects it): sandboxes' outputs are
    // documents and images, not disk images.
    const bytes = (await this.run(path, DOWNLOAD, path, { binary: true })).stdoutBytes ?? Buffer.alloc(0);
    const newline = bytes.indexOf(0x0a);
    const folder = bytes.subarray(0, newline).toString() === 'folder';
    const content = bytes.subarray(newline + 1);
    const base = segmentsOrThrow(path).at(-1) ?? 'user-data';
    const stream = new PassThrough();
    stream.end(content);
    return {
      name: folder ? `${base}.tar` : base,
      contentType: folder ? 'application/x-tar' : contentTypeOf(base),
      size: content.length,
      stream,
    };
  }

  async upload(name: string, body: Readable): Promise<string> {
    const problem = uploadNameProblem(name);
    if (problem) throw new FilesError('invalid', problem);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Buffer));
    const bytes = Buffer.concat(chunks);
    // head -c reads a known length: kwok never closes a command's stdin (app/kube/exec.ts).
    await this.run(`${UPLOADS_FOLDER}/${name}`, uploadScript(bytes.length), UPLOADS_FOLDER, { args: [name], stdin: bytes });
    return `${UPLOADS_FOLDER}/${name}`;
  }
}
