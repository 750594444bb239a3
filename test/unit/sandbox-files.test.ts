import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import { list as listTar } from 'tar';
import { describe, expect, it } from 'vitest';
import { hostFolderOf } from '../../app/desk/sandbox-access.js';
import { contentTypeOf, HostFiles, MAX_LISTED, sandboxPathSegments, uploadNameProblem } from '../../app/desk/sandbox-files.js';

function sandboxFolder() {
  const base = mkdtempSync(join(tmpdir(), 'spd-files-'));
  const root = join(base, 'threads', 't1', 'user-data');
  mkdirSync(join(root, 'workspace', 'deep'), { recursive: true });
  mkdirSync(join(root, 'outputs'), { recursive: true });
  writeFileSync(join(root, 'workspace', 'a.txt'), 'hello');
  writeFileSync(join(root, 'workspace', 'deep', 'b.bin'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(base, 'secret.txt'), 'outside');
  symlinkSync(join(base, 'secret.txt'), join(root, 'workspace', 'escape'));
  symlinkSync(base, join(root, 'outputs', 'up'));
  symlinkSync('a.txt', join(root, 'workspace', 'inside-link'));
  return { base, root, files: new HostFiles(root) };
}

const readAll = async (s: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
};

describe('sandbox paths', () => {
  it('relative segments only; never decoded', () => {
    expect(sandboxPathSegments('')).toEqual({ segments: [] });
    expect(sandboxPathSegments('workspace/a.txt')).toEqual({ segments: ['workspace', 'a.txt'] });
    expect(sandboxPathSegments('workspace/')).toEqual({ segments: ['workspace'] });
    expect(sandboxPathSegments('%2e%2e/x')).toEqual({ segments: ['%2e%2e', 'x'] });
    for (const [bad, why] of [
      ['/etc/passwd', /absolute/],
      ['../x', /"\.\." segment/],
      ['workspace/../../x', /"\.\." segment/],
      ['./x', /"\." segment/],
      ['a//b', /empty segment/],
      ['a\u0000b', /control character/],
      ['a\\..\\b', /backslash/],
    ] as const)
      expect((sandboxPathSegments(bad) as { problem: string }).problem, bad).toMatch(why);
  });

  it('content types by name, anything unknown as bytes', () => {
    expect(contentTypeOf('chart.PNG')).toBe('image/png');
    expect(contentTypeOf('notes.md')).toBe('text/markdown; charset=utf-8');
    expect(contentTypeOf('archive.tar.gz')).toBe('application/octet-stream');
    expect(contentTypeOf('Makefile')).toBe('application/octet-stream');
  });

  it('upload names are one plain segment', () => {
    expect(uploadNameProblem('report.pdf')).toBeUndefined();
    expect(uploadNameProblem('a/b.txt')).toMatch(/is a path/);
    expect(uploadNameProblem('..')).toMatch(/segment/);
    expect(uploadNameProblem('')).toMatch(/no name/);
    expect(uploadNameProblem('x'.repeat(256))).toMatch(/255/);
  });
});

describe('HostFiles', () => {
  it('lists a folder with types, sizes and times; links are shown, not followed', async () => {
    const { files } = sandboxFolder();
    const top = await files.list('');
    expect(top.entries.map((e) => [e.name, e.type])).toEqual([
      ['outputs', 'folder'],
      ['workspace', 'folder'],
    ]);
    const ws = await files.list('workspace');
    expect(ws.entries.map((e) => [e.name, e.type, e.type === 'file' ? e.size : '-'])).toEqual([
      ['a.txt', 'file', 5],
      ['deep', 'folder', '-'],
      ['escape', 'link', '-'],
      ['inside-link', 'link', '-'],
    ]);
    expect(Date.parse(ws.entries[0]?.modified ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(ws).toMatchObject({ path: 'workspace', via: 'host', truncated: undefined });
  });

  it('refuses whatever resolves outside, links included, and names what is missing', async () => {
    const { files } = sandboxFolder();
    await expect(files.download('workspace/escape')).rejects.toMatchObject({
      category: 'invalid',
      message: expect.stringMatching(/leads outside/),
    });
    await expect(files.list('outputs/up')).rejects.toMatchObject({ category: 'invalid' });
    await expect(files.list('../..')).rejects.toMatchObject({ category: 'invalid' });
    await expect(files.list('nope')).rejects.toMatchObject({ category: 'not-found', message: 'nope does not exist in the sandbox' });
    await expect(files.list('workspace/a.txt')).rejects.toMatchObject({ message: 'workspace/a.txt is a file, not a folder' });
    // A link that stays inside is followed.
    expect((await readAll((await files.download('workspace/inside-link')).stream)).toString()).toBe('hello');
  });

  it('downloads a file as is and a folder as a tar whose links stay links', async () => {
    const { files } = sandboxFolder();
    const bin = await files.download('workspace/deep/b.bin');
    expect(bin).toMatchObject({ name: 'b.bin', size: 4 });
    expect([...(await readAll(bin.stream))]).toEqual([0, 1, 2, 255]);
    const folder = await files.download('workspace');
    expect(folder.name).toBe('workspace.tar');
    const tarFile = join(mkdtempSync(join(tmpdir(), 'spd-tar-')), 'w.tar');
    writeFileSync(tarFile, await readAll(folder.stream));
    const entries: { path: string; type: string }[] = [];
    await listTar({ file: tarFile, onReadEntry: (e) => entries.push({ path: e.path, type: e.type }) });
    expect(entries.map((e) => `${e.path}:${e.type}`).sort()).toEqual(
      [
        'workspace/:Directory',
        'workspace/a.txt:File',
        'workspace/deep/:Directory',
        'workspace/deep/b.bin:File',
        'workspace/escape:SymbolicLink',
        'workspace/inside-link:SymbolicLink',
      ].sort(),
    );
  });

  it('uploads into uploads/, never replacing a file', async () => {
    const { root, files } = sandboxFolder();
    expect(await files.upload('notes.txt', Readable.from([Buffer.from('first')]))).toBe('uploads/notes.txt');
    expect(readFileSync(join(root, 'uploads', 'notes.txt'), 'utf8')).toBe('first');
    await expect(files.upload('notes.txt', Readable.from([Buffer.from('second')]))).rejects.toMatchObject({ category: 'conflict' });
    expect(readFileSync(join(root, 'uploads', 'notes.txt'), 'utf8')).toBe('first');
    await expect(files.upload('../x', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ category: 'invalid' });
    // uploads/ as a link out of the folder: refused, nothing written outside.
    const other = sandboxFolder();
    symlinkSync(other.base, join(other.root, 'uploads'));
    await expect(other.files.upload('x.txt', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ category: 'invalid' });
  });

  it('a huge folder lists its first entries by name and counts the rest', async () => {
    const { root, files } = sandboxFolder();
    mkdirSync(join(root, 'many'));
    for (let i = 0; i < MAX_LISTED + 5; i++) writeFileSync(join(root, 'many', `f${String(i).padStart(5, '0')}`), '');
    const r = await files.list('many');
    expect(r.entries).toHaveLength(MAX_LISTED);
    expect(r.truncated).toBe(5);
    expect(r.entries[0]?.name).toBe('f00000');
  });
});

describe('hostFolderOf: read on this machine only what this machine holds', () => {
  const pod = (volume: object, subPath?: string): V1Pod => ({
    spec: {
      containers: [
        { name: 'sandbox', volumeMounts: [{ name: 'user-data', mountPath: '/mnt/user-data', ...(subPath ? { subPath } : {}) }] },
      ],
      volumes: [{ name: 'user-data', ...volume }],
    },
  });
  const yes = () => true;
  it('a hostPath under THREADS_HOST_PATH or DEER_FLOW_HOST_BASE_DIR that exists here', () => {
    const roots = ['/data/threads', '/data/df'];
    expect(hostFolderOf(pod({ hostPath: { path: '/data/df/threads/t/user-data' } }), roots, yes)).toBe('/data/df/threads/t/user-data');
    expect(hostFolderOf(pod({ hostPath: { path: '/data/threads/t/user-data' } }), roots, yes)).toBe('/data/threads/t/user-data');
    expect(hostFolderOf(pod({ hostPath: { path: '/data/df/threads/t/user-data' } }), roots, () => false)).toBeUndefined();
    expect(hostFolderOf(pod({ hostPath: { path: '/elsewhere/user-data' } }), roots, yes)).toBeUndefined();
    expect(hostFolderOf(pod({ hostPath: { path: '/data/df-other/x' } }), roots, yes)).toBeUndefined();
    expect(hostFolderOf(pod({ persistentVolumeClaim: { claimName: 'c' } }, 'deer-flow/x'), roots, yes)).toBeUndefined();
    expect(hostFolderOf(pod({ hostPath: { path: '/data/df/x' } }), [undefined], yes)).toBeUndefined();
  });
});
