// What the sandbox page may claim about its sandbox (pure): still loading, present, never there
// ("not found"), or gone since it was seen ("deleted at …"). The live list (watch events) and
// the page's own detail load both count; neither may make the page show what is not so.

export type DetailLoad = 'loading' | 'loaded' | 'not-found' | { error: string };

export type Presence =
  | { kind: 'loading' }
  | { kind: 'present' }
  | { kind: 'not-found' }
  | { kind: 'deleted'; at: string }
  | { kind: 'error'; message: string };

export interface PresenceInput {
  /** The sandbox is in the live list now. */
  live: boolean;
  /** The live list has loaded (so "not in it" means something). */
  listLoaded: boolean;
  detail: DetailLoad;
  /** When it was last seen to go (set by the page the first time it notices). */
  goneAt: string | undefined;
  /** It was present at some point while this page was open. */
  seen: boolean;
}

export function presenceOf(p: PresenceInput): Presence {
  if (p.live) return { kind: 'present' };
  if (p.goneAt) return { kind: 'deleted', at: p.goneAt };
  if (p.detail === 'not-found') return p.seen ? { kind: 'deleted', at: new Date().toISOString() } : { kind: 'not-found' };
  if (typeof p.detail === 'object') return { kind: 'error', message: p.detail.error };
  // Loaded but not (yet) in the list: the watch may lag behind a direct read.
  if (p.detail === 'loaded') return { kind: 'present' };
  return { kind: 'loading' };
}

/** Whether the page should note "gone now": it was seen, the list is loaded and it is not in it. */
export function goneNow(p: Pick<PresenceInput, 'live' | 'listLoaded' | 'seen' | 'goneAt'>): boolean {
  return p.seen && p.listLoaded && !p.live && !p.goneAt;
}
