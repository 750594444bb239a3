// The thread owner map from B/deer-flow.db, table threads_meta(thread_id, user_id), read with
// better-sqlite3 (works in Node and, rebuilt by electron-builder, in Electron). A missing
// database or table means "no owners". The database is opened read-only and never changed.
import Database from 'better-sqlite3';

export interface OwnerMap {
  owners: Map<string, string>;
  /** Why there are no owners, when there are none for a reason worth saying. */
  note?: string;
}

export function readOwnerMap(dbPath: string | undefined): OwnerMap {
  if (!dbPath) return { owners: new Map(), note: 'no deer-flow.db: every thread goes to the target user' };
  let db: Database.Database;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
  } catch (e) {
    return { owners: new Map(), note: `cannot open ${dbPath} (${(e as Error).message}): every thread goes to the target user` };
  }
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'threads_meta'").get();
    if (!table) return { owners: new Map(), note: 'deer-flow.db has no threads_meta table: every thread goes to the target user' };
    const rows = db.prepare('SELECT thread_id, user_id FROM threads_meta WHERE thread_id IS NOT NULL AND user_id IS NOT NULL').all() as {
      thread_id: unknown;
      user_id: unknown;
    }[];
    const owners = new Map<string, string>();
    for (const r of rows) owners.set(String(r.thread_id), String(r.user_id));
    return { owners };
  } finally {
    db.close();
  }
}
