import { describe, expect, it } from 'vitest';
import type { FolderView } from '../../app/desk/contract.js';
import { foldersToList, treeRows } from '../../renderer/src/state/file-tree.js';

const folder = (path: string, names: [string, 'file' | 'folder'][]): FolderView => ({
  path,
  via: 'host',
  truncated: undefined,
  entries: names.map(([name, type]) => ({ name, type, size: 1, modified: '2026-12-02T00:00:00.000Z' })),
});

describe('the Files tree', () => {
  const folders = new Map([
    [
      '',
      folder('', [
        ['outputs', 'folder'],
        ['workspace', 'folder'],
        ['notes.txt', 'file'],
      ]),
    ],
    [
      'outputs',
      folder('outputs', [
        ['charts', 'folder'],
        ['report.md', 'file'],
      ]),
    ],
    ['outputs/charts', folder('outputs/charts', [['a.png', 'file']])],
  ]);
  it('open folders show their children right under them, indented', () => {
    const rows = treeRows(folders, new Set(['outputs', 'outputs/charts']));
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.path}${r.open ? '/' : ''}`)).toEqual([
      'outputs/',
      '  outputs/charts/',
      '    outputs/charts/a.png',
      '  outputs/report.md',
      'workspace',
      'notes.txt',
    ]);
    expect(treeRows(folders, new Set()).map((r) => r.path)).toEqual(['outputs', 'workspace', 'notes.txt']);
  });
  it('lists the root and open folders whose parents are open (a closed parent hides its open children)', () => {
    expect(foldersToList(new Set(['outputs', 'outputs/charts']))).toEqual(['', 'outputs', 'outputs/charts']);
    expect(foldersToList(new Set(['outputs/charts']))).toEqual(['']);
    expect(foldersToList(new Set())).toEqual(['']);
  });
});
