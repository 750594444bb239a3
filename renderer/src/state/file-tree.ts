// The Files tab's tree (pure): folders listed so far, which are open, and the rows that shows —
// each entry with its path and depth, open folders' children right under them.
import type { FileEntry, FolderView } from '../../../app/desk/contract.js';

export interface TreeRow {
  path: string;
  depth: number;
  entry: FileEntry;
  open: boolean;
}

export const childPath = (parent: string, name: string) => (parent ? `${parent}/${name}` : name);

export function treeRows(folders: ReadonlyMap<string, FolderView>, expanded: ReadonlySet<string>, root = '', depth = 0): TreeRow[] {
  const rows: TreeRow[] = [];
  for (const entry of folders.get(root)?.entries ?? []) {
    const path = childPath(root, entry.name);
    const open = entry.type === 'folder' && expanded.has(path);
    rows.push({ path, depth, entry, open });
    if (open) rows.push(...treeRows(folders, expanded, path, depth + 1));
  }
  return rows;
}

/** The folders to (re)list: the root and every open folder whose parents are open too. */
export function foldersToList(expanded: ReadonlySet<string>): string[] {
  const open = [...expanded].filter((p) => {
    const parts = p.split('/');
    return parts.every((_, i) => i === parts.length - 1 || expanded.has(parts.slice(0, i + 1).join('/')));
  });
  return ['', ...open.sort()];
}
