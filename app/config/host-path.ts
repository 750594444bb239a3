// Host paths as the node sees them. A developer on Windows (Docker Desktop) writes
// C:\Users\me\deer-flow; such paths keep their style when joined, as upstream does.

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;
const WINDOWS_UNC = /^\\\\[^\\]+\\[^\\]+/;

export function isWindowsStyle(path: string): boolean {
  return WINDOWS_DRIVE.test(path) || WINDOWS_UNC.test(path) || path.includes('\\');
}

export function isAbsoluteHostPath(path: string): boolean {
  return path.startsWith('/') || WINDOWS_DRIVE.test(path) || WINDOWS_UNC.test(path);
}

/** Joins validated segments (ids, fixed names) onto a base path in the base's own style. */
export function joinHostPath(base: string, ...parts: string[]): string {
  const sep = isWindowsStyle(base) ? '\\' : '/';
  const trimmed = base.length > 1 ? base.replace(/[\\/]+$/, '') : base;
  const root = trimmed === '/' ? '' : trimmed;
  return [root, ...parts].join(sep);
}
