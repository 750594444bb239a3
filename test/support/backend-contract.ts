// The migration backend's rules as one suite, run against every adapter (as unstorage runs
// one suite per driver): the local folder (test/unit/migration-local.test.ts) and the PVC
// through its helper Pod (test/integration/migration-pvc.test.ts). Each test gets a fresh base
// folder B on this machine (for the PVC: the folder kwok's exec runs the helper's commands in)
// and a backend over it.
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrationBackend } from '../../app/migration/backend.js';

export interface BackendUnderTest {
  backend: MigrationBackend;
  /** B on this machine, to arrange files and check the outcome directly. */
  base: string;
  close: () => Promise<void>;
}

export function backendContract(name: string, make: () => Promise<BackendUnderTest>): void {
  describe(`the backend rules: ${name}`, () => {
    let open: BackendUnderTest | undefined;
    const fresh = async () => {
      open = await make();
      return open;
    };
    afterEach(async () => {
      await open?.close();
      open = undefined;
    });

    it('scans the legacy roots: files with sizes, folders, links as links (never followed)', async () => {
      const { backend, base } = await fresh();
      mkdirSync(join(base, 'threads', 't1', 'user-data'), { recursive: true });
      writeFileSync(join(base, 'threads', 't1', 'user-data', 'a.txt'), 'hello');
      symlinkSync('/etc', join(base, 'threads', 't1', 'etc-link'));
      const entries = await backend.scan();
      const byPath = new Map(entries.map((e) => [e.path, e]));
      expect(byPath.get('threads/t1/user-data/a.txt')).toEqual({ path: 'threads/t1/user-data/a.txt', type: 'file', size: 5 });
      expect(byPath.get('threads/t1/user-data')?.type).toBe('dir');
      expect(byPath.get('threads/t1/etc-link')?.type).toBe('symlink');
      expect([...byPath.keys()].some((p) => p.startsWith('threads/t1/etc-link/'))).toBe(false);
    });

    it('stat: type and size, undefined when missing; two names of one file share an id', async () => {
      const { backend, base } = await fresh();
      mkdirSync(join(base, 'd'));
      writeFileSync(join(base, 'd', 'f'), 'abc');
      const { linkSync } = await import('node:fs');
      linkSync(join(base, 'd', 'f'), join(base, 'd', 'g'));
      const f = await backend.stat('d/f');
      expect(f).toMatchObject({ type: 'file', size: 3 });
      expect((await backend.stat('d/g'))?.id).toBe(f?.id);
      expect((await backend.stat('d'))?.type).toBe('dir');
      expect(await backend.stat('nope')).toBeUndefined();
    });

    it('applySteps moves into new parents, says what happened, and never replaces what is there', async () => {
      const { backend, base } = await fresh();
      mkdirSync(join(base, 'threads', 'a'), { recursive: true });
      writeFileSync(join(base, 'threads', 'a', 'x.txt'), 'legacy');
      mkdirSync(join(base, 'threads', 'b'), { recursive: true });
      mkdirSync(join(base, 'users', 'u', 'threads', 'b'), { recursive: true });
      writeFileSync(join(base, 'users', 'u', 'threads', 'b', 'keep.txt'), 'per-user');
      const outcomes = await backend.applySteps([
        { from: 'threads/a', to: 'users/u/threads/a' },
        { from: 'threads/b', to: 'users/u/threads/b' },
        { from: 'threads/gone', to: 'users/u/threads/gone' },
      ]);
      expect(outcomes).toEqual(['moved', 'both-exist', 'vanished']);
      expect(readFileSync(join(base, 'users', 'u', 'threads', 'a', 'x.txt'), 'utf8')).toBe('legacy');
      expect(existsSync(join(base, 'threads', 'a'))).toBe(false);
      expect(readFileSync(join(base, 'users', 'u', 'threads', 'b', 'keep.txt'), 'utf8')).toBe('per-user');
      expect(existsSync(join(base, 'threads', 'b'))).toBe(true);
      // Again: what was moved is "already".
      expect(await backend.applySteps([{ from: 'threads/a', to: 'users/u/threads/a' }])).toEqual(['already']);
    });

    it('a link is moved as a link', async () => {
      const { backend, base } = await fresh();
      mkdirSync(join(base, 'threads'), { recursive: true });
      symlinkSync('../elsewhere', join(base, 'threads', 'l'));
      expect(await backend.applySteps([{ from: 'threads/l', to: 'users/u/threads/l' }])).toEqual(['moved']);
      expect(lstatSync(join(base, 'users', 'u', 'threads', 'l')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(base, 'users', 'u', 'threads', 'l'))).toBe('../elsewhere');
    });

    it('folders: made with parents, removed only when empty; sizes and checksums per path, undefined when missing', async () => {
      const { backend, base } = await fresh();
      await backend.makeDirs(['users/u/agents', 'users/u/memory']);
      expect(lstatSync(join(base, 'users', 'u', 'agents')).isDirectory()).toBe(true);
      writeFileSync(join(base, 'users', 'u', 'agents', 'a.json'), '{"x":1}');
      writeFileSync(join(base, 'users', 'u', 'agents', 'b.json'), '{"x":1}');
      expect(await backend.removeDirIfEmpty('users/u/agents')).toBe(false);
      expect(await backend.removeDirIfEmpty('users/u/memory')).toBe(true);
      expect(existsSync(join(base, 'users', 'u', 'memory'))).toBe(false);
      expect(await backend.sizes(['users/u/agents/a.json', 'nope'])).toEqual([7, undefined]);
      const [a, b, missing] = await backend.checksums(['users/u/agents/a.json', 'users/u/agents/b.json', 'nope']);
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(b).toBe(a);
      expect(missing).toBeUndefined();
    });

    it('text files: read (undefined when missing), written whole, appended; created exclusively once; removed', async () => {
      const { backend } = await fresh();
      expect(await backend.readText('.deer-flow-migration/x.json')).toBeUndefined();
      await backend.makeDirs(['.deer-flow-migration']);
      await backend.writeTextAtomic('.deer-flow-migration/x.json', '{"a":1}');
      expect(await backend.readText('.deer-flow-migration/x.json')).toBe('{"a":1}');
      await backend.appendText('.deer-flow-migration/log', 'one\n');
      await backend.appendText('.deer-flow-migration/log', 'two\n');
      expect(await backend.readText('.deer-flow-migration/log')).toBe('one\ntwo\n');
      expect(await backend.createExclusive('.deer-flow-migration/lock', 'me')).toBe(true);
      expect(await backend.createExclusive('.deer-flow-migration/lock', 'you')).toBe(false);
      expect(await backend.readText('.deer-flow-migration/lock')).toBe('me');
      // Made whole elsewhere and linked into place: nothing but the lock is left, won or lost.
      expect((await backend.listTree(['.deer-flow-migration'])).map((e) => e.path).sort()).toEqual(
        ['.deer-flow-migration', '.deer-flow-migration/lock', '.deer-flow-migration/log', '.deer-flow-migration/x.json'].sort(),
      );
      await backend.removeFile('.deer-flow-migration/lock');
      expect(await backend.readText('.deer-flow-migration/lock')).toBeUndefined();
    });

    it('listTree: everything under the given paths, links not followed', async () => {
      const { backend, base } = await fresh();
      mkdirSync(join(base, 'users', 'u', 'threads', 't', 'x'), { recursive: true });
      writeFileSync(join(base, 'users', 'u', 'threads', 't', 'x', 'f'), '12');
      symlinkSync('/', join(base, 'users', 'u', 'threads', 't', 'root'));
      const paths = (await backend.listTree(['users/u/threads/t'])).map((e) => `${e.path}:${e.type}`).sort();
      expect(paths).toEqual(
        ['users/u/threads/t:dir', 'users/u/threads/t/root:symlink', 'users/u/threads/t/x:dir', 'users/u/threads/t/x/f:file'].sort(),
      );
    });
  });
}
